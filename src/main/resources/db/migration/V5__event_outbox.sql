-- alipay-notify schema migration V5: the transactional outbox (issue 13).
-- One row per business event (PAID, REFUNDED, FINISHED, CLOSED, ATTENTION), written in the notification's own
-- transaction. id, aggregatetype, aggregateid, type and payload are the columns Debezium's outbox event router reads
-- by default (README, "Change data capture instead of the relay"); status ... delivered_at are the relay's.
-- Run in order after V4, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V5__event_outbox.sql

CREATE TABLE IF NOT EXISTS alipay_notify_event (
    seq              BIGINT        NOT NULL AUTO_INCREMENT,
    id               VARCHAR(36)   NOT NULL,
    aggregatetype    VARCHAR(32)   NOT NULL,
    aggregateid      VARCHAR(64)   NOT NULL,
    type             VARCHAR(32)   NOT NULL,
    payload          MEDIUMTEXT    NOT NULL,
    app_id           VARCHAR(64)   NULL,
    notify_id        VARCHAR(128)  NULL,
    created_at       DATETIME(3)   NOT NULL,
    status           VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    attempts         INT           NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(3)   NOT NULL,
    last_error       VARCHAR(255)  NULL,
    locked_by        VARCHAR(64)   NULL,
    locked_until     DATETIME(3)   NULL,
    delivered_at     DATETIME(3)   NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY uk_alipay_notify_event_id (id),
    KEY idx_alipay_notify_event_due (status, next_attempt_at),
    KEY idx_alipay_notify_event_order (aggregateid, seq),
    KEY idx_alipay_notify_event_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recorded last: a run that stops before this line leaves no record.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (5, 'event outbox', 'V5__event_outbox.sql', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
