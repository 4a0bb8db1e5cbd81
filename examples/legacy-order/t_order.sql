-- A typical legacy order table (examples/legacy-order): amounts in fen, integer status codes, its own names.
-- alipay-notify never writes it except through the statements in alipay-notify.properties.
CREATE TABLE IF NOT EXISTS t_order (
    order_no         VARCHAR(32)  NOT NULL,
    user_id          BIGINT       NOT NULL,
    amount_fen       BIGINT       NOT NULL,
    -- 0 unpaid, 1 paid, 2 closed (unpaid), 3 refunded in full, 4 finished (no more refunds)
    status           TINYINT      NOT NULL DEFAULT 0,
    paid_at          DATETIME     NULL,
    alipay_trade_no  VARCHAR(64)  NULL,
    refunded_fen     BIGINT       NOT NULL DEFAULT 0,
    review_note      VARCHAR(255) NULL,
    version          INT          NOT NULL DEFAULT 0,
    created_at       DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (order_no),
    KEY idx_t_order_status_created (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
