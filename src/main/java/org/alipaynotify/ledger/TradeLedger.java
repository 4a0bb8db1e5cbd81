package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import javax.sql.DataSource;
import org.alipaynotify.Ledger;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.TradeStatus;

/**
 * Step 5, apply: the one place that owns a transaction. Locks the order row, compares the amount, records the
 * notification keyed by notify_id (already there: acknowledged, nothing changed), applies the state table, commits.
 * Connections come from a pool with autocommit off and READ COMMITTED (no gap locks between unrelated
 * notifications); every notification for an order serializes on that order's row lock.
 */
public final class TradeLedger implements Ledger {
    private static final int ER_DUP_ENTRY = 1062;
    private static final int ER_LOCK_WAIT_TIMEOUT = 1205;
    private static final int ER_LOCK_DEADLOCK = 1213;

    private static final String LOCK_ORDER = "SELECT out_trade_no, total_amount, trade_status, paid, trade_no,"
            + " buyer_id, seller_id, gmt_payment, receipt_amount, buyer_pay_amount, refund_fee, gmt_refund,"
            + " gmt_close, needs_attention, attention_reason FROM alipay_order WHERE out_trade_no = ? FOR UPDATE";
    private static final String INSERT_NOTIFY = "INSERT INTO alipay_notify (notify_id, out_trade_no, trade_status,"
            + " outcome, reason, notify_time, charset, remote_addr, raw_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String UPDATE_ORDER = "UPDATE alipay_order SET trade_status = ?, paid = ?, trade_no = ?,"
            + " buyer_id = ?, seller_id = ?, gmt_payment = ?, receipt_amount = ?, buyer_pay_amount = ?,"
            + " refund_fee = ?, gmt_refund = ?, gmt_close = ?, needs_attention = ?, attention_reason = ?,"
            + " last_notify_id = ?, updated_at = UTC_TIMESTAMP(3) WHERE out_trade_no = ?";

    // updated_at is set here, in UTC like every column of our own clock: ON UPDATE CURRENT_TIMESTAMP would write the
    // session's local time into the DATETIME (see db/migration/V2__utc_datetime.sql).
    private static final DateTimeFormatter SQL_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final DateTimeFormatter SQL_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final DataSource dataSource;

    public TradeLedger(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Applied apply(Notification n, String remoteAddr) throws Refused {
        try (Connection c = dataSource.getConnection()) {
            try {
                begin(c);
                Applied applied = applyLocked(c, n, remoteAddr);
                c.commit();
                return applied;
            } catch (Refused | SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new Refused(Outcome.DATABASE_ERROR, describe(e), e);
        }
    }

    /**
     * Our own pool is configured this way already (and these calls cost nothing there); a container's DataSource may
     * not be, and returns the connection to its pool reset.
     */
    private static void begin(Connection c) throws SQLException {
        if (c.getAutoCommit()) {
            c.setAutoCommit(false);
        }
        if (c.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
    }

    private Applied applyLocked(Connection c, Notification n, String remoteAddr) throws SQLException, Refused {
        OrderRow order = lock(c, n.outTradeNo());
        if (order == null) {
            throw new Refused(Outcome.UNKNOWN_ORDER, "no order with out_trade_no " + n.outTradeNo());
        }
        if (!order.outTradeNo().equals(n.outTradeNo())) {
            // The column's collation matched another spelling (case, padding): that is not this order.
            throw new Refused(Outcome.UNKNOWN_ORDER, "no order with out_trade_no " + n.outTradeNo()
                    + " (only '" + order.outTradeNo() + "', equal under the column's collation)");
        }
        if (order.totalAmount().compareTo(n.totalAmount()) != 0) {
            throw new Refused(Outcome.AMOUNT_MISMATCH, "total_amount " + n.totalAmount() + " differs from the order's "
                    + order.totalAmount() + " for out_trade_no " + n.outTradeNo());
        }
        TradeTransition.Result result = TradeTransition.decide(order, n);
        if (!recordNotification(c, n, result, remoteAddr)) {
            return new Applied(Outcome.DUPLICATE, "notify_id already recorded");
        }
        if (!result.next().equals(order)) {
            update(c, result.next(), n.notifyId());
        }
        return new Applied(result.outcome(), result.reason());
    }

    private static OrderRow lock(Connection c, String outTradeNo) throws SQLException, Refused {
        try (PreparedStatement ps = c.prepareStatement(LOCK_ORDER)) {
            ps.setString(1, outTradeNo);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String status = rs.getString("trade_status");
                TradeStatus tradeStatus;
                try {
                    tradeStatus = TradeStatus.valueOf(status);
                } catch (IllegalArgumentException e) {
                    throw new Refused(Outcome.INTERNAL_ERROR, "order " + outTradeNo + " has trade_status '" + status
                            + "', which is not an Alipay state");
                }
                return new OrderRow(rs.getString("out_trade_no"), rs.getBigDecimal("total_amount"), tradeStatus,
                        rs.getBoolean("paid"), rs.getString("trade_no"), rs.getString("buyer_id"),
                        rs.getString("seller_id"), time(rs, "gmt_payment"), rs.getBigDecimal("receipt_amount"),
                        rs.getBigDecimal("buyer_pay_amount"), rs.getBigDecimal("refund_fee"), time(rs, "gmt_refund"),
                        time(rs, "gmt_close"), rs.getBoolean("needs_attention"), rs.getString("attention_reason"));
            }
        }
    }

    /** False when the notify_id is already recorded (this very order's lock makes the check race-free). */
    private static boolean recordNotification(Connection c, Notification n, TradeTransition.Result result,
            String remoteAddr) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_NOTIFY)) {
            ps.setString(1, n.notifyId());
            ps.setString(2, n.outTradeNo());
            ps.setString(3, n.tradeStatus().name());
            ps.setString(4, result.outcome().name());
            ps.setString(5, Text.printable(result.reason(), 250));
            setTime(ps, 6, n.notifyTime());
            ps.setString(7, n.charsetName());
            ps.setString(8, remoteAddr);
            ps.setBytes(9, n.rawBody());
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_DUP_ENTRY) {
                return false;
            }
            throw e;
        }
    }

    private static void update(Connection c, OrderRow o, String notifyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UPDATE_ORDER)) {
            ps.setString(1, o.tradeStatus().name());
            ps.setBoolean(2, o.paid());
            ps.setString(3, o.tradeNo());
            ps.setString(4, o.buyerId());
            ps.setString(5, o.sellerId());
            setTime(ps, 6, o.gmtPayment());
            setMoney(ps, 7, o.receiptAmount());
            setMoney(ps, 8, o.buyerPayAmount());
            setMoney(ps, 9, o.refundFee());
            setTime(ps, 10, o.gmtRefund());
            setTime(ps, 11, o.gmtClose());
            ps.setBoolean(12, o.needsAttention());
            ps.setString(13, o.attentionReason() == null ? null : Text.printable(o.attentionReason(), 250));
            ps.setString(14, notifyId);
            ps.setString(15, o.outTradeNo());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("order row " + o.outTradeNo() + " vanished while locked");
            }
        }
    }

    // DATETIME holds Alipay's wall-clock time: LocalDateTime out, a literal in, no time-zone conversion anywhere.
    // Written as text because Connector/J drops fractional seconds (gmt_refund has milliseconds) when the server
    // reports a 5.5-style version, as MariaDB does ("5.5.5-10.11...").
    private static LocalDateTime time(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, LocalDateTime.class);
    }

    private static void setTime(PreparedStatement ps, int i, LocalDateTime t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, (t.getNano() == 0 ? SQL_SECONDS : SQL_MILLIS).format(t));
        }
    }

    private static void setMoney(PreparedStatement ps, int i, BigDecimal m) throws SQLException {
        if (m == null) {
            ps.setNull(i, Types.DECIMAL);
        } else {
            ps.setBigDecimal(i, m);
        }
    }

    private static String describe(SQLException e) {
        switch (e.getErrorCode()) {
            case ER_LOCK_WAIT_TIMEOUT: return "lock wait timeout on the order row";
            case ER_LOCK_DEADLOCK: return "deadlock, rolled back";
            default: return "database error: SQLState " + e.getSQLState() + ", code " + e.getErrorCode() + ", "
                    + Text.printable(e.getMessage(), 160);
        }
    }
}
