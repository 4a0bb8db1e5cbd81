-- alipay-notify schema migration V3: money that moved is never lost, refusals cost a bounded amount (issue 10).
-- - alipay_notify and the new alipay_notify_unmatched record each notification's app_id and trade_no.
-- - alipay_notify_unmatched keeps a signed notification for an order we do not have, whole, from its first delivery
--   on (answered failure so Alipay redelivers; README, "Notifications for orders we do not have").
-- - alipay_notify_refused keeps what a refusal is worth: the claimed ids, the body's length and SHA-256, whether the
--   signature verified (then the whole body, deduplicated by its hash), and the deliveries of a replayed one.
-- Each ALTER rebuilds its table. Run in order after V2, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V3__...sql

ALTER TABLE alipay_notify
    ADD COLUMN app_id VARCHAR(64) NULL AFTER out_trade_no,
    ADD COLUMN trade_no VARCHAR(64) NULL AFTER app_id;

ALTER TABLE alipay_notify_refused
    ADD COLUMN verified TINYINT(1) NOT NULL DEFAULT 0 AFTER reason,
    ADD COLUMN claimed_app_id VARCHAR(64) NULL AFTER verified,
    ADD COLUMN claimed_notify_id VARCHAR(128) NULL AFTER claimed_app_id,
    ADD COLUMN claimed_out_trade_no VARCHAR(64) NULL AFTER claimed_notify_id,
    ADD COLUMN body_length INT NULL AFTER claimed_out_trade_no,
    ADD COLUMN body_sha256 CHAR(64) NULL AFTER body_length,
    ADD COLUMN verified_sha256 CHAR(64) NULL AFTER body_sha256,
    ADD COLUMN deliveries INT NOT NULL DEFAULT 1 AFTER verified_sha256,
    ADD COLUMN last_received_at DATETIME(3) NULL AFTER deliveries,
    ADD UNIQUE KEY uk_alipay_notify_refused_verified_sha256 (verified_sha256),
    ADD KEY idx_alipay_notify_refused_claimed_out_trade_no (claimed_out_trade_no);

CREATE TABLE IF NOT EXISTS alipay_notify_unmatched (
    id                BIGINT        NOT NULL AUTO_INCREMENT,
    notify_id         VARCHAR(128)  NOT NULL,
    out_trade_no      VARCHAR(64)   NOT NULL,
    app_id            VARCHAR(64)   NULL,
    trade_no          VARCHAR(64)   NULL,
    trade_status      VARCHAR(32)   NOT NULL,
    total_amount      DECIMAL(12,2) NOT NULL,
    notify_time       DATETIME      NULL,
    charset           VARCHAR(16)   NOT NULL,
    remote_addr       VARCHAR(64)   NULL,
    raw_body          MEDIUMBLOB    NOT NULL,
    deliveries        INT           NOT NULL DEFAULT 1,
    received_at       DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    last_received_at  DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    PRIMARY KEY (id),
    UNIQUE KEY uk_alipay_notify_unmatched_notify_id (notify_id),
    KEY idx_alipay_notify_unmatched_out_trade_no (out_trade_no),
    KEY idx_alipay_notify_unmatched_received_at (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recorded last: a run that stops before this line leaves no record.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (3, 'refusals and unmatched', 'V3__refusals_and_unmatched.sql', 'success', UTC_TIMESTAMP(3),
        UTC_TIMESTAMP(3), CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
