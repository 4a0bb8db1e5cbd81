package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.TradeStatus;
import org.alipaynotify.config.Settings;

/**
 * The merchant's own order table, reached only through their {@code order.lookup-sql} (which locks their row: every
 * notification of one order serializes on it), with our facts about the trade in {@code alipay_trade}, keyed by
 * out_trade_no, in Alipay's vocabulary whatever the merchant's status codes are.
 *
 * <p>The lookup returns at most one row: {@code total_amount} (yuan) or {@code total_amount_fen} (whole fen), and
 * optionally {@code out_trade_no} (then it must equal the notification's exactly: a case-insensitive collation must
 * not match another order), {@code app_id} (the app the order belongs to) and {@code closed} (true when the merchant
 * closed the order: a payment then is a late payment).
 */
final class MappedOrders implements OrderStore {
    static final Set<String> AMOUNT_COLUMNS = Set.of("total_amount", "total_amount_fen");
    static final Set<String> OPTIONAL_COLUMNS = Set.of("out_trade_no", "app_id", "closed");

    private static final String FACTS = "SELECT " + TradeFacts.COLUMNS
            + " FROM alipay_trade WHERE out_trade_no = ? FOR UPDATE";
    private static final String UPSERT = "INSERT INTO alipay_trade (out_trade_no, app_id, total_amount, "
            + TradeFacts.COLUMNS + ", last_notify_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE " + TradeFacts.ASSIGNMENTS;

    private final NamedSql lookup;

    MappedOrders(NamedSql lookup) {
        this.lookup = lookup;
    }

    @Override
    public Locked lock(Connection c, Notification n) throws SQLException, Refused {
        BigDecimal amount;
        String id;
        String appId;
        boolean closed;
        try (PreparedStatement ps = c.prepareStatement(lookup.jdbc())) {
            TradeParameters.forLookup(n).bind(ps, lookup.names());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Set<String> columns = columns(rs.getMetaData());
                amount = columns.contains("total_amount") ? rs.getBigDecimal("total_amount")
                        : BigDecimal.valueOf(rs.getLong("total_amount_fen"), 2);
                if (amount == null) {
                    throw new Refused(Outcome.INTERNAL_ERROR, Settings.ORDER_LOOKUP_SQL + " returned no total_amount"
                            + " for out_trade_no " + n.outTradeNo());
                }
                id = columns.contains("out_trade_no") ? rs.getString("out_trade_no") : n.outTradeNo();
                appId = columns.contains("app_id") ? rs.getString("app_id") : null;
                closed = columns.contains("closed") && rs.getBoolean("closed");
                if (rs.next()) {
                    throw new Refused(Outcome.INTERNAL_ERROR, Settings.ORDER_LOOKUP_SQL + " returned more than one"
                            + " row for out_trade_no " + n.outTradeNo() + ": it must find one order");
                }
            }
        }
        OrderRow facts;
        try (PreparedStatement ps = c.prepareStatement(FACTS)) {
            ps.setString(1, n.outTradeNo());
            try (ResultSet rs = ps.executeQuery()) {
                facts = rs.next() ? TradeFacts.read(rs, n.outTradeNo(), amount)
                        : OrderRow.payable(n.outTradeNo(), amount);
            }
        }
        if (closed && facts.tradeStatus() == TradeStatus.WAIT_BUYER_PAY) {
            // closed in the merchant's table before any payment reached us: the state table's local close
            facts = facts.withStatus(TradeStatus.TRADE_CLOSED, false);
        }
        boolean closedAfterPayment = closed && facts.paid() && facts.tradeStatus() != TradeStatus.TRADE_CLOSED
                && facts.refundFee() == null && !facts.needsAttention();
        return new Locked(facts, id, appId, closedAfterPayment);
    }

    @Override
    public void save(Connection c, Notification n, OrderRow next, String lastNotifyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
            ps.setString(1, next.outTradeNo());
            ps.setString(2, n.appId());
            ps.setBigDecimal(3, next.totalAmount());
            // the VALUES after total_amount are the facts then last_notify_id, as TradeFacts binds them; then the
            // same again for ON DUPLICATE KEY UPDATE
            int i = TradeFacts.bind(ps, 4, next, lastNotifyId);
            TradeFacts.bind(ps, i, next, lastNotifyId);
            ps.executeUpdate();
        }
    }

    static Set<String> columns(ResultSetMetaData md) throws SQLException {
        Set<String> names = new HashSet<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            names.add(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
