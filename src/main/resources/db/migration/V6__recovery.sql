-- alipay-notify schema migration V6: finding payments whose notification never came (issue 14).
-- - alipay_notify.source: how we learned of it: 'notify' (Alipay's notification) or 'query' (our alipay.trade.query;
--   raw_body then holds the signed response).
-- - alipay_notify_query: the active query's schedule per waiting order (tries, next time, the last answer, a lease so
--   one instance asks at a time).
-- - alipay_notify_bill_run / alipay_notify_bill_diff: the daily bill's runs and the differences each found.
-- Run in order after V5, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V6__recovery.sql

ALTER TABLE alipay_notify
    ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'notify' AFTER raw_body;

-- The active query and the silence alarm look for orders still waiting for payment, by age; app_id is in the index so
-- neither reads a row. InnoDB adds a secondary index in place without blocking writes.
ALTER TABLE alipay_order
    ADD KEY idx_alipay_order_waiting (trade_status, created_at, app_id);

CREATE TABLE IF NOT EXISTS alipay_notify_query (
    out_trade_no     VARCHAR(64)   NOT NULL,
    app_id           VARCHAR(64)   NULL,
    order_created_at DATETIME(3)   NOT NULL,
    tries            INT           NOT NULL DEFAULT 0,
    next_query_at    DATETIME(3)   NOT NULL,
    last_query_at    DATETIME(3)   NULL,
    last_result      VARCHAR(255)  NULL,
    locked_by        VARCHAR(64)   NULL,
    locked_until     DATETIME(3)   NULL,
    created_at       DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    PRIMARY KEY (out_trade_no),
    KEY idx_alipay_notify_query_due (next_query_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS alipay_notify_bill_run (
    app_id           VARCHAR(64)   NOT NULL,
    bill_date        DATE          NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    trade_rows       INT           NULL,
    refund_rows      INT           NULL,
    differences      INT           NULL,
    error            VARCHAR(255)  NULL,
    started_at       DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    finished_at      DATETIME(3)   NULL,
    PRIMARY KEY (app_id, bill_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS alipay_notify_bill_diff (
    id               BIGINT        NOT NULL AUTO_INCREMENT,
    app_id           VARCHAR(64)   NOT NULL,
    bill_date        DATE          NOT NULL,
    kind             VARCHAR(32)   NOT NULL,
    out_trade_no     VARCHAR(64)   NULL,
    trade_no         VARCHAR(64)   NULL,
    ours             VARCHAR(64)   NULL,
    theirs           VARCHAR(64)   NULL,
    detail           VARCHAR(255)  NULL,
    found_at         DATETIME(3)   NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
    PRIMARY KEY (id),
    KEY idx_alipay_notify_bill_diff_date (bill_date, kind),
    KEY idx_alipay_notify_bill_diff_order (out_trade_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recorded last: a run that stops before this line leaves no record.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (6, 'recovery', 'V6__recovery.sql', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
