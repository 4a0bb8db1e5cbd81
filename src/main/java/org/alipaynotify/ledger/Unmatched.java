package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.alipaynotify.Notification;

/**
 * A signed notification for an order we do not have. Alipay gets {@code failure} and redelivers for about 25 hours,
 * in case the order is only late; but the buyer's money may have moved, so the notification is kept from the first
 * delivery on (whole, with a delivery count), where the last redelivery is not the end of the story. Resolved when a
 * later delivery of the same notify_id is applied: README, "Notifications for orders we do not have".
 */
final class Unmatched {
    private static final String UPSERT = "INSERT INTO alipay_notify_unmatched (notify_id, out_trade_no, app_id,"
            + " trade_no, trade_status, total_amount, notify_time, charset, remote_addr, raw_body)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON DUPLICATE KEY UPDATE deliveries = deliveries + 1, last_received_at = UTC_TIMESTAMP(3)";

    private Unmatched() {
    }

    /** Within the caller's transaction; the unique notify_id makes concurrent deliveries count, not duplicate. */
    static void record(Connection c, Notification n, String remoteAddr) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
            ps.setString(1, n.notifyId());
            ps.setString(2, n.outTradeNo());
            ps.setString(3, n.appId());
            ps.setString(4, n.tradeNo());
            ps.setString(5, n.tradeStatus().name());
            BigDecimal amount = n.totalAmount();
            ps.setBigDecimal(6, amount);
            TradeLedger.setTime(ps, 7, n.notifyTime());
            ps.setString(8, n.charsetName());
            ps.setString(9, remoteAddr);
            ps.setBytes(10, n.rawBody());
            ps.executeUpdate();
        }
    }
}
