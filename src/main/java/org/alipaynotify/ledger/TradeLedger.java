package org.alipaynotify.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import javax.sql.DataSource;
import org.alipaynotify.Ledger;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;

/**
 * Step 5, apply: the one place that owns a transaction. Locks the order (ours or the merchant's, see
 * {@link OrderMapping}), compares app and amount, records the notification keyed by notify_id (already there:
 * acknowledged, nothing changed), applies the state table to our facts, runs the merchant's reactions, commits.
 * Connections come from a pool with autocommit off and READ COMMITTED (no gap locks between unrelated
 * notifications); every notification for an order serializes on that order's row lock.
 */
public final class TradeLedger implements Ledger {
    private static final int ER_DUP_ENTRY = 1062;
    /** Galera: "WSREP has not yet prepared node for application use" (the node is not in the primary component). */
    private static final int ER_UNKNOWN_COM_ERROR = 1047;
    private static final int ER_ERROR_DURING_COMMIT = 1180;
    private static final int ER_LOCK_WAIT_TIMEOUT = 1205;
    private static final int ER_LOCK_DEADLOCK = 1213;
    /** MySQL Group Replication: "Plugin instructed the server to rollback the current transaction" (certification). */
    private static final int ER_TRANSACTION_ROLLBACK_DURING_COMMIT = 3101;

    private static final String INSERT_NOTIFY = "INSERT INTO alipay_notify (notify_id, out_trade_no, app_id, trade_no,"
            + " trade_status, outcome, reason, notify_time, charset, remote_addr, raw_body, source)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String NOTIFY_ID_KEY = "uk_alipay_notify_notify_id";
    private static final String RECORDED_OUTCOME = "SELECT outcome FROM alipay_notify WHERE notify_id = ?";
    private static final String REWRITE_NOTIFY = "UPDATE alipay_notify SET outcome = ?, reason = ? WHERE notify_id = ?";

    private static final DateTimeFormatter SQL_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final DateTimeFormatter SQL_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final DataSource dataSource;
    private final OrderStore orders;
    private final Reactions reactions;
    private final Outbox outbox;

    /** With alipay_order as the order table (the default mapping). */
    public TradeLedger(DataSource dataSource) {
        this(dataSource, OrderMapping.ownTable(), new Outbox(java.time.Clock.systemUTC()));
    }

    public TradeLedger(DataSource dataSource, OrderMapping mapping, Outbox outbox) {
        this.dataSource = dataSource;
        this.orders = mapping.store();
        this.reactions = mapping.reactions();
        this.outbox = outbox;
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
        OrderStore.Locked locked = orders.lock(c, n);
        if (locked == null || !locked.orderId().equals(n.outTradeNo())) {
            // (A different spelling means the column's collation matched another id: case, padding. Not this order.)
            String reason = "no order with out_trade_no " + n.outTradeNo() + (locked == null ? ""
                    : " (only '" + locked.orderId() + "', equal under the column's collation)");
            Unmatched.record(c, n, remoteAddr);
            return new Applied(Outcome.UNKNOWN_ORDER, reason);
        }
        OrderRow order = locked.row();
        TradeTransition.Result result = decide(locked, n);
        switch (recordNotification(c, n, result, remoteAddr)) {
            case INSERTED:
                break;
            case ALREADY_APPLIED:
                return new Applied(Outcome.DUPLICATE, "notify_id already recorded");
            case WAS_REFUSED:
                if (!result.outcome().acknowledged()) {
                    // Redelivered, still refused: recorded and flagged the first time; nothing new to write.
                    return new Applied(result.outcome(), result.reason() + " (again)");
                }
                // The order was corrected since (its amount, its app): this delivery applies, and its record says so.
                result = new TradeTransition.Result(result.outcome(), result.next(), result.reason()
                        + " (after the order was corrected)");
                rewriteRecord(c, n, result);
                break;
            default:
                throw new IllegalStateException();
        }
        if (!result.next().equals(order)) {
            boolean ofThisOrder = result.outcome().acknowledged() && result.outcome() != Outcome.SECOND_TRADE;
            orders.save(c, n, result.next(), ofThisOrder ? n.notifyId() : null);
        }
        List<TradeEvent> events = TradeEvent.between(order, result.next());
        reactions.run(c, n, order, result.next(), events);
        outbox.write(c, n, order, result.next(), events);
        return new Applied(result.outcome(), result.reason());
    }

    /**
     * The state table, and what it cannot see from our facts alone: a signed amount or app that is not the order's
     * (the buyer's money moved; flag the order, change nothing else) and an order closed by hand after it was paid.
     */
    private static TradeTransition.Result decide(OrderStore.Locked locked, Notification n) {
        OrderRow order = locked.row();
        if (order.totalAmount().compareTo(n.totalAmount()) != 0) {
            String reason = "total_amount " + n.totalAmount() + " differs from the order's " + order.totalAmount()
                    + " for out_trade_no " + n.outTradeNo() + " (signed: the buyer paid " + n.totalAmount()
                    + ", notify_id " + n.notifyId() + ")";
            return new TradeTransition.Result(Outcome.AMOUNT_MISMATCH, order.withAttention(reason), reason);
        }
        if (locked.appId() != null && !locked.appId().isEmpty() && !locked.appId().equals(n.appId())) {
            String reason = "app_id " + n.appId() + " is not the order's app " + locked.appId() + " for out_trade_no "
                    + n.outTradeNo() + " (signed: paid through another app, notify_id " + n.notifyId() + ")";
            return new TradeTransition.Result(Outcome.APP_ID_MISMATCH, order.withAttention(reason), reason);
        }
        TradeTransition.Result result = TradeTransition.decide(order, n);
        if (locked.closedAfterPayment()) {
            String flag = "closed although paid (trade_no " + order.tradeNo() + ") with no refund on record and no"
                    + " TRADE_CLOSED notification: closed locally after the payment? Refund it or reopen it";
            return new TradeTransition.Result(result.outcome(), result.next().withAttention(flag),
                    result.reason() + "; " + flag);
        }
        return result;
    }

    private enum Recorded { INSERTED, ALREADY_APPLIED, WAS_REFUSED }

    /**
     * Inserts the record keyed by notify_id; the order's lock makes the check race-free. A notify_id already there
     * was applied, unless its record says it was refused (a signed amount or app that was not the order's): then this
     * delivery may apply (the merchant corrected the order) and rewrites that record.
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
            ps.setString(12, n.source());
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
                boolean refused = rs.next() && !Outcome.valueOf(rs.getString(1)).acknowledged();
                return refused ? Recorded.WAS_REFUSED : Recorded.ALREADY_APPLIED;
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

    // Alipay's wall-clock times (China Standard Time) go to DATETIME as text literals, no time-zone conversion
    // anywhere; as text because Connector/J drops fractional seconds (gmt_refund has milliseconds) when the server
    // reports a 5.5-style version, as MariaDB does ("5.5.5-10.11...").
    static void setTime(PreparedStatement ps, int i, LocalDateTime t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, (t.getNano() == 0 ? SQL_SECONDS : SQL_MILLIS).format(t));
        }
    }

    /**
     * Why the transaction failed, for the log line. Every one of these is answered {@code failure} (503) with nothing
     * applied, and Alipay's redelivery is applied normally. On a Galera cluster a conflicting transaction of another
     * node surfaces as 1213 (at COMMIT, or earlier when the other node's write set aborts ours), the same duplicate
     * notify_id inserted on two nodes at once also as 1213 (not 1062), and a node outside the primary component
     * answers 1047 to everything. MySQL Group Replication reports a lost certification as 3101 (from its
     * documentation; not tried here, SCALING.md).
     */
    static String describe(SQLException e) {
        switch (e.getErrorCode()) {
            case ER_LOCK_WAIT_TIMEOUT:
                return "lock wait timeout on the order row (error 1205): rolled back, nothing applied";
            case ER_LOCK_DEADLOCK:
                return Ledger.CONFLICT + "deadlock or Galera certification conflict with another transaction of this"
                        + " order (error 1213): rolled back, nothing applied; retryable, the redelivery applies it";
            case ER_TRANSACTION_ROLLBACK_DURING_COMMIT:
                return Ledger.CONFLICT + "MySQL Group Replication certification conflict with another transaction"
                        + " of this order (error 3101): rolled back, nothing applied; retryable, the redelivery"
                        + " applies it";
            case ER_UNKNOWN_COM_ERROR:
                return "database node not ready (error 1047: a Galera node outside the primary component, or still"
                        + " joining): nothing applied; " + Text.printable(e.getMessage(), 120);
            case ER_ERROR_DURING_COMMIT:
                return "commit failed (error 1180), rolled back, nothing applied: "
                        + Text.printable(e.getMessage(), 120);
            default: return "database error: SQLState " + e.getSQLState() + ", code " + e.getErrorCode() + ", "
                    + Text.printable(e.getMessage(), 160);
        }
    }
}
