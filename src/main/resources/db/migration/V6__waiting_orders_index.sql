-- alipay-notify schema migration V6: an index for the silence alarm's count of orders waiting for payment (issue 14).
-- The count runs once a minute: SELECT ... FROM alipay_order WHERE trade_status = 'WAIT_BUYER_PAY' AND created_at < ?
-- (README, "The silence alarm"). Without this index it reads the whole table each time; with it, one range of the
-- index, which also holds app_id, so no row is read. InnoDB adds a secondary index in place without blocking writes.
-- Run in order after V5, e.g.  mariadb -h HOST -u ADMIN alipay_notify < V6__waiting_orders_index.sql

ALTER TABLE alipay_order
    ADD INDEX idx_alipay_order_waiting (trade_status, created_at, app_id);

-- Recorded last: a run that stops before this line leaves no record.
INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at, finished_at, applied_by)
VALUES (6, 'waiting orders index', 'V6__waiting_orders_index.sql', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3),
        CURRENT_USER())
ON DUPLICATE KEY UPDATE status = 'success', finished_at = UTC_TIMESTAMP(3);
