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
    private static final String INSERT_NOTIFY = "INSERT INTO alipay_notify (notify_id, out_trade_no, app_id, trade_no,"
            + " trade_status, outcome, reason, notify_time, charset, remote_addr, raw_body)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String NOTIFY_ID_KEY = "uk_alipay_notify_notify_id";
    private static final String RECORDED_OUTCOME = "SELECT outcome FROM alipay_notify WHERE notify_id = ?";
    private static final String REWRITE_NOTIFY = "UPDATE alipay_notify SET outcome = ?, reason = ? WHERE notify_id = ?";
    private static final String CLOSED_BY_ALIPAY = "SELECT 1 FROM alipay_notify WHERE out_trade_no = ?"
            + " AND trade_status = 'TRADE_CLOSED' AND outcome = 'APPLIED' LIMIT 1";
    private static final String UPDATE_ORDER = "UPDATE alipay_order SET trade_status = ?, paid = ?, trade_no = ?,"
            + " buyer_id = ?, seller_id = ?, gmt_payment = ?, receipt_amount = ?, buyer_pay_amount = ?,"
            + " refund_fee = ?, gmt_refund = ?, gmt_close = ?, needs_attention = ?, attention_reason = ?,"
            + " last_notify_id = COALESCE(?, last_notify_id) WHERE out_trade_no = ?";

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
        if (order == null || !order.outTradeNo().equals(n.outTradeNo())) {
            // (A different spelling means the column's collation matched another id: case, padding. Not this order.)
            String reason = "no order with out_trade_no " + n.outTradeNo() + (order == null ? ""
                    : " (only '" + order.outTradeNo() + "', equal under the column's collation)");
            Unmatched.record(c, n, remoteAddr);
            return new Applied(Outcome.UNKNOWN_ORDER, reason);
        }
        TradeTransition.Result result = decide(c, order, n);
        switch (recordNotification(c, n, result, remoteAddr)) {
            case INSERTED:
                break;
            case ALREADY_APPLIED:
                return new Applied(Outcome.DUPLICATE, "notify_id already recorded");
            case AMOUNT_WAS_REFUSED:
                if (result.outcome() == Outcome.AMOUNT_MISMATCH) {
                    // Redelivered, still wrong: recorded and flagged the first time; nothing new to write.
                    return new Applied(Outcome.AMOUNT_MISMATCH, result.reason() + " (again)");
                }
                // The order's amount was corrected since: this delivery applies, and its record says so.
                result = new TradeTransition.Result(result.outcome(), result.next(), result.reason()
                        + " (after the order's amount was corrected)");
                rewriteRecord(c, n, result);
                break;
            default:
                throw new IllegalStateException();
        }
        if (!result.next().equals(order)) {
            boolean ofThisOrder = result.outcome() != Outcome.AMOUNT_MISMATCH && result.outcome() != Outcome.SECOND_TRADE;
            update(c, result.next(), ofThisOrder ? n.notifyId() : null);
        }
        return new Applied(result.outcome(), result.reason());
    }

    /**
     * The state table, and the two things it cannot see from the row alone: a signed amount that differs (the
     * buyer's money moved; flag the order, change nothing else) and an order closed by hand after it was paid.
     */
    private static TradeTransition.Result decide(Connection c, OrderRow order, Notification n) throws SQLException {
        if (order.totalAmount().compareTo(n.totalAmount()) != 0) {
            String reason = "total_amount " + n.totalAmount() + " differs from the order's " + order.totalAmount()
                    + " for out_trade_no " + n.outTradeNo() + " (signed: the buyer paid " + n.totalAmount()
                    + ", notify_id " + n.notifyId() + ")";
            return new TradeTransition.Result(Outcome.AMOUNT_MISMATCH, order.withAttention(reason), reason);
        }
        TradeTransition.Result result = TradeTransition.decide(order, n);
        if (closedByHandAfterPayment(c, order)) {
            String flag = "TRADE_CLOSED and paid (trade_no " + order.tradeNo() + ") with no refund on record and no"
                    + " TRADE_CLOSED notification: closed locally after the payment? Refund it or reopen it";
            return new TradeTransition.Result(result.outcome(), result.next().withAttention(flag),
                    result.reason() + "; " + flag);
        }
        return result;
    }

    /**
     * A paid order that Alipay never closed but the row says TRADE_CLOSED: a merchant's close raced the payment
     * (README, "Closing an order"). Only this rare shape costs the extra query.
     */
    private static boolean closedByHandAfterPayment(Connection c, OrderRow order) throws SQLException {
        if (order.tradeStatus() != TradeStatus.TRADE_CLOSED || !order.paid() || order.refundFee() != null
                || order.needsAttention()) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement(CLOSED_BY_ALIPAY)) {
            ps.setString(1, order.outTradeNo());
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next();
            }
        }
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

    private enum Recorded { INSERTED, ALREADY_APPLIED, AMOUNT_WAS_REFUSED }

    /**
     * Inserts the record keyed by notify_id; the order's lock makes the check race-free. A notify_id already there
     * was applied, unless its record says the amount was refused: then this delivery may apply (the merchant
     * corrected the order) and rewrites that record.
     */
    private static Recorded recordNotification(Connection c, Notification n, TradeTransition.Result result,
            String remoteAddr) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_NOTIFY)) {
            ps.setString(1, n.notifyId());
            ps.setString(2, n.outTradeNo());
            ps.setString(3, n.appId());
            ps.setString(4, n.tradeNo());
            ps.setString(5, n.tradeStatus().name());
            ps.setString(6, result.outcome().name());
            ps.setString(7, Text.printable(result.reason(), 250));
            setTime(ps, 8, n.notifyTime());
            ps.setString(9, n.charsetName());
            ps.setString(10, remoteAddr);
            ps.setBytes(11, n.rawBody());
            ps.executeUpdate();
            return Recorded.INSERTED;
        } catch (SQLException e) {
            // Only the notify_id key means "already recorded": any other unique key (a DBA's, a trigger's) failing is
            // a database error, or a real change would be answered success and lost.
            if (e.getErrorCode() != ER_DUP_ENTRY || e.getMessage() == null || !e.getMessage().contains(NOTIFY_ID_KEY)) {
                throw e;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(RECORDED_OUTCOME)) {
            ps.setString(1, n.notifyId());
            try (ResultSet rs = ps.executeQuery()) {
                boolean refused = rs.next() && Outcome.AMOUNT_MISMATCH.name().equals(rs.getString(1));
                return refused ? Recorded.AMOUNT_WAS_REFUSED : Recorded.ALREADY_APPLIED;
            }
        }
    }

    private static void rewriteRecord(Connection c, Notification n, TradeTransition.Result result)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(REWRITE_NOTIFY)) {
            ps.setString(1, result.outcome().name());
            ps.setString(2, Text.printable(result.reason(), 250));
            ps.setString(3, n.notifyId());
            ps.executeUpdate();
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

    static void setTime(PreparedStatement ps, int i, LocalDateTime t) throws SQLException {
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
