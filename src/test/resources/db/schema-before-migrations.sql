-- alipay-notify schema: MySQL 8 / MariaDB 10.6+, InnoDB, utf8mb4. Safe to apply twice; no USE, no CREATE DATABASE.
-- Times from Alipay (gmt_*, notify_time) are stored as sent, in China Standard Time (UTC+8).

-- Your orders. An insert naming only out_trade_no and total_amount creates a payable order.
CREATE TABLE IF NOT EXISTS alipay_order (
    out_trade_no      VARCHAR(64)   NOT NULL,
    total_amount      DECIMAL(12,2) NOT NULL,
    trade_status      VARCHAR(32)   NOT NULL DEFAULT 'WAIT_BUYER_PAY',
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
    created_at        TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at        TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (out_trade_no),
    KEY idx_alipay_order_attention (needs_attention)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per notification that passed verification and the business checks, with the exact body received.
CREATE TABLE IF NOT EXISTS alipay_notify (
    id            BIGINT        NOT NULL AUTO_INCREMENT,
    notify_id     VARCHAR(128)  NOT NULL,
    out_trade_no  VARCHAR(64)   NOT NULL,
    trade_status  VARCHAR(32)   NOT NULL,
    outcome       VARCHAR(32)   NOT NULL,
    reason        VARCHAR(255)  NULL,
    notify_time   DATETIME      NULL,
    charset       VARCHAR(16)   NOT NULL,
    remote_addr   VARCHAR(64)   NULL,
    raw_body      MEDIUMBLOB    NOT NULL,
    received_at   TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_alipay_notify_notify_id (notify_id),
    KEY idx_alipay_notify_out_trade_no (out_trade_no),
    KEY idx_alipay_notify_received_at (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every request that was answered failure: when, from where, why, and the body (never more than the size limit).
CREATE TABLE IF NOT EXISTS alipay_notify_refused (
    id            BIGINT        NOT NULL AUTO_INCREMENT,
    received_at   TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    remote_addr   VARCHAR(64)   NULL,
    http_status   SMALLINT      NOT NULL,
    outcome       VARCHAR(32)   NOT NULL,
    reason        VARCHAR(255)  NULL,
    body          MEDIUMBLOB    NULL,
    PRIMARY KEY (id),
    KEY idx_alipay_notify_refused_received_at (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
