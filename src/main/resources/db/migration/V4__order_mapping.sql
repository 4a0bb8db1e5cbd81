-- alipay-notify schema migration V4: your own order table and several apps (issue 11).
-- - alipay_order.app_id: when an order names its app, a notification of another app is recorded and flagged, not
--   applied. Leave it NULL (the default) and any of your apps may pay the order.
-- - alipay_trade: our facts about each trade (Alipay's vocabulary) when your own order table is used through
--   order.lookup-sql; empty otherwise (README, "Using your own order table").
-- Run in order after V3, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V4__order_mapping.sql

ALTER TABLE alipay_order
    ADD COLUMN app_id VARCHAR(64) NULL AFTER total_amount;

CREATE TABLE IF NOT EXISTS alipay_trade (
    out_trade_no      VARCHAR(64)   NOT NULL,
    app_id            VARCHAR(64)   NULL,
    total_amount      DECIMAL(12,2) NOT NULL,
    trade_status      VARCHAR(32)   NOT NULL,
    paid              TINYINT(1)    NOT NULL DEFAULT 0,
    trade_no          VARCHAR(64)   NULL,
    buyer_id          VARCHAR(128)  NULL,
    seller_id         VARCHAR(32)   NULL,
    gmt_payment       DATETIME      NULL,
    receipt_amount    DECIMAL(12,2) NULL,
    buyer_pay_amount  DECIMAL(12,2) NULL,
    refund_fee        DECIMAL(12,2) NULL,
    gmt_refund        DATETIME(3)   NULL,
    gmt_close         DATETIME      NULL,
    needs_attention   TINYINT(1)    NOT NULL DEFAULT 0,
    attention_reason  VARCHAR(255)  NULL,
    last_notify_id    VARCHAR(128)  NULL,
    created_at        DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    updated_at        DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    PRIMARY KEY (out_trade_no),
    KEY idx_alipay_trade_attention (needs_attention)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recorded last: a run that stops before this line leaves no record.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (4, 'order mapping', 'V4__order_mapping.sql', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
