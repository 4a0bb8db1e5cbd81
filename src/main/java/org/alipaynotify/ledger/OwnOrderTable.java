package org.alipaynotify.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.alipaynotify.Notification;
import org.alipaynotify.Refused;
import org.alipaynotify.TradeStatus;

/**
 * The default mapping: {@code alipay_order} is both the order and the facts. A merchant closes an order there by
 * setting TRADE_CLOSED (README, "Closing an order"), which the state table reads as a local close.
 */
final class OwnOrderTable implements OrderStore {
    private static final String LOCK = "SELECT out_trade_no, total_amount, app_id, " + TradeFacts.COLUMNS
            + " FROM alipay_order WHERE out_trade_no = ? FOR UPDATE";
    private static final String UPDATE = "UPDATE alipay_order SET " + TradeFacts.ASSIGNMENTS
            + " WHERE out_trade_no = ?";
    private static final String CLOSED_BY_ALIPAY = "SELECT 1 FROM alipay_notify WHERE out_trade_no = ?"
            + " AND trade_status = 'TRADE_CLOSED' AND outcome = 'APPLIED' LIMIT 1";

    @Override
    public Locked lock(Connection c, Notification n) throws SQLException, Refused {
        try (PreparedStatement ps = c.prepareStatement(LOCK)) {
            ps.setString(1, n.outTradeNo());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String stored = rs.getString("out_trade_no");
                OrderRow row = TradeFacts.read(rs, stored, rs.getBigDecimal("total_amount"));
                String appId = rs.getString("app_id");
                rs.close();
                return new Locked(row, stored, appId, closedAfterPayment(c, row));
            }
        }
    }

    /**
     * TRADE_CLOSED, paid, no refund, not yet flagged, and no TRADE_CLOSED notification ever applied: the merchant's
     * close raced the payment. Only this rare shape costs the extra query.
     */
    private static boolean closedAfterPayment(Connection c, OrderRow row) throws SQLException {
        if (row.tradeStatus() != TradeStatus.TRADE_CLOSED || !row.paid() || row.refundFee() != null
                || row.needsAttention()) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement(CLOSED_BY_ALIPAY)) {
            ps.setString(1, row.outTradeNo());
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next();
            }
        }
    }

    @Override
    public void save(Connection c, Notification n, OrderRow next, String lastNotifyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UPDATE)) {
            int i = TradeFacts.bind(ps, 1, next, lastNotifyId);
            ps.setString(i, next.outTradeNo());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("order row " + next.outTradeNo() + " vanished while locked");
            }
        }
    }
}
