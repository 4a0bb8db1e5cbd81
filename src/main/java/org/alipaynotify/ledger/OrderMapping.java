package org.alipaynotify.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;

/**
 * How the ledger reaches orders: {@code alipay_order} (no {@code order.*} setting, the default), or the merchant's
 * table through their statements ({@code order.lookup-sql} and the reactions {@code order.on-*-sql}). Every statement
 * is checked before the webapp takes a notification: named parameters known, the lookup a SELECT ... FOR UPDATE
 * returning an amount column, each statement prepared by the database itself. A problem stops the start with one line
 * naming the key.
 */
public final class OrderMapping {
    private static final Map<TradeEvent, String> REACTION_KEYS = reactionKeys();
    private static final Set<String> REACTION_VERBS = Set.of("UPDATE", "INSERT", "REPLACE", "DELETE", "CALL");

    /** Orders of alipay_order waiting for payment, a minute to a day old, with their age (indexed). */
    static final String OWN_WAITING = "SELECT out_trade_no, app_id, TIMESTAMPDIFF(SECOND, created_at,"
            + " UTC_TIMESTAMP(3)) AS age_seconds FROM alipay_order WHERE trade_status = 'WAIT_BUYER_PAY'"
            + " AND paid = 0 AND created_at BETWEEN UTC_TIMESTAMP(3) - INTERVAL 1 DAY"
            + " AND UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE ORDER BY created_at LIMIT 5000";
    static final Set<String> WAITING_COLUMNS = Set.of("out_trade_no", "age_seconds");

    private final OrderStore store;
    private final Reactions reactions;
    private final NamedSql lookup;
    private final Map<String, NamedSql> statements;
    private final String waitingSql;

    private OrderMapping(OrderStore store, Reactions reactions, NamedSql lookup, Map<String, NamedSql> statements,
            String waitingSql) {
        this.store = store;
        this.reactions = reactions;
        this.lookup = lookup;
        this.statements = statements;
        this.waitingSql = waitingSql;
    }

    /** alipay_order as it is, no reactions. */
    public static OrderMapping ownTable() {
        return new OrderMapping(new OwnOrderTable(), Reactions.NONE, null, Map.of(), OWN_WAITING);
    }

    /** Parses and checks the statements' text; {@link #check} then checks them against the database. */
    public static OrderMapping from(Settings settings) {
        Map<String, String> sql = settings.orderSql();
        Map<String, NamedSql> parsed = new java.util.LinkedHashMap<>();
        NamedSql lookup = null;
        if (sql.containsKey(Settings.ORDER_LOOKUP_SQL)) {
            lookup = NamedSql.parse(sql.get(Settings.ORDER_LOOKUP_SQL));
            requireOneStatement(Settings.ORDER_LOOKUP_SQL, lookup);
            if (!lookup.verb().equals("SELECT")) {
                throw new SettingsException(Settings.ORDER_LOOKUP_SQL, "must be a SELECT, got " + lookup.verb());
            }
            if (!lookup.locksForUpdate()) {
                throw new SettingsException(Settings.ORDER_LOOKUP_SQL, "must lock the order row: end it with FOR"
                        + " UPDATE, so that two notifications of one order never apply at once");
            }
            requireKnown(Settings.ORDER_LOOKUP_SQL, lookup, TradeParameters.NOTIFICATION);
            if (!lookup.names().contains("out_trade_no")) {
                throw new SettingsException(Settings.ORDER_LOOKUP_SQL, "must find the order by :out_trade_no");
            }
            parsed.put(Settings.ORDER_LOOKUP_SQL, lookup);
        }
        Map<TradeEvent, NamedSql> reactions = new EnumMap<>(TradeEvent.class);
        for (Map.Entry<TradeEvent, String> e : REACTION_KEYS.entrySet()) {
            String text = sql.get(e.getValue());
            if (text == null) {
                continue;
            }
            NamedSql s = NamedSql.parse(text);
            requireOneStatement(e.getValue(), s);
            if (!REACTION_VERBS.contains(s.verb())) {
                throw new SettingsException(e.getValue(), "must be one of " + new TreeSet<>(REACTION_VERBS) + ", got "
                        + (s.verb().isEmpty() ? "nothing" : s.verb()));
            }
            requireKnown(e.getValue(), s, TradeParameters.all());
            reactions.put(e.getKey(), s);
            parsed.put(e.getValue(), s);
        }
        String waiting = lookup == null ? OWN_WAITING : null;
        if (sql.containsKey(Settings.ORDER_WAITING_SQL)) {
            NamedSql w = NamedSql.parse(sql.get(Settings.ORDER_WAITING_SQL));
            requireOneStatement(Settings.ORDER_WAITING_SQL, w);
            if (!w.verb().equals("SELECT") || !w.names().isEmpty()) {
                throw new SettingsException(Settings.ORDER_WAITING_SQL, "must be a SELECT without parameters,"
                        + " returning out_trade_no and age_seconds of the orders waiting for payment");
            }
            waiting = w.jdbc();
            parsed.put(Settings.ORDER_WAITING_SQL, w);
        }
        OrderStore store = lookup == null ? new OwnOrderTable() : new MappedOrders(lookup);
        return new OrderMapping(store, new Reactions(reactions, REACTION_KEYS, settings.orderZeroRowsFail()), lookup,
                parsed, waiting);
    }

    /**
     * Against the database: every statement prepared by the server (syntax, tables, columns), and the lookup run once
     * for no order in a transaction rolled back, to see that it returns {@code total_amount} or
     * {@code total_amount_fen}.
     */
    public void check(DataSource dataSource) throws SQLException {
        if (statements.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                for (Map.Entry<String, NamedSql> e : statements.entrySet()) {
                    prepareOnServer(c, e.getKey(), e.getValue());
                }
                if (lookup != null) {
                    checkLookupColumns(c);
                }
                if (statements.containsKey(Settings.ORDER_WAITING_SQL)) {
                    checkWaitingColumns(c);
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * Which orders wait for payment: a SELECT returning out_trade_no and age_seconds (and app_id, optional), for the
     * active query; null when the merchant's table is used without order.waiting-sql.
     */
    public String waitingSql() {
        return waitingSql;
    }

    /** Where our facts about each trade are (paid, amounts, cumulative refund): for the daily bill's comparison. */
    public String factsTable() {
        return lookup == null ? "alipay_order" : "alipay_trade";
    }

    private void checkWaitingColumns(Connection c) {
        try (PreparedStatement ps = c.prepareStatement(waitingSql); ResultSet rs = ps.executeQuery()) {
            Set<String> columns = MappedOrders.columns(rs.getMetaData());
            if (!columns.containsAll(WAITING_COLUMNS)) {
                throw new SettingsException(Settings.ORDER_WAITING_SQL, "must return the columns " + WAITING_COLUMNS
                        + ", got " + new TreeSet<>(columns));
            }
        } catch (SQLException e) {
            throw new SettingsException(Settings.ORDER_WAITING_SQL, "cannot be run: "
                    + Text.printable(e.getMessage(), 300));
        }
    }

    /** The merchant's table is in use (else alipay_order). */
    public boolean custom() {
        return lookup != null;
    }

    /** The statements in use, for the start-up line. */
    public Set<String> keys() {
        return statements.keySet();
    }

    OrderStore store() {
        return store;
    }

    Reactions reactions() {
        return reactions;
    }

    private static void prepareOnServer(Connection c, String key, NamedSql sql) {
        try {
            try (PreparedStatement ps = c.prepareStatement("SET @alipay_notify_check = ?")) {
                ps.setString(1, sql.jdbc());
                ps.execute();
            }
            try (Statement st = c.createStatement()) {
                st.execute("PREPARE alipay_notify_check FROM @alipay_notify_check");
                st.execute("DEALLOCATE PREPARE alipay_notify_check");
            }
        } catch (SQLException e) {
            throw new SettingsException(key, "cannot be prepared by the database: "
                    + Text.printable(e.getMessage(), 300));
        }
    }

    private void checkLookupColumns(Connection c) {
        try (PreparedStatement ps = c.prepareStatement(lookup.jdbc())) {
            for (int i = 0; i < lookup.names().size(); i++) {
                ps.setString(i + 1, lookup.names().get(i).equals("out_trade_no") ? "\u0000alipay-notify start-up check"
                        : null);
            }
            try (ResultSet rs = ps.executeQuery()) {
                Set<String> columns = MappedOrders.columns(rs.getMetaData());
                Set<String> amounts = new LinkedHashSet<>(columns);
                amounts.retainAll(MappedOrders.AMOUNT_COLUMNS);
                if (amounts.size() != 1) {
                    throw new SettingsException(Settings.ORDER_LOOKUP_SQL, "must return exactly one of the columns"
                            + " total_amount (yuan) or total_amount_fen (fen), got " + new TreeSet<>(columns));
                }
            }
        } catch (SQLException e) {
            throw new SettingsException(Settings.ORDER_LOOKUP_SQL, "cannot be run: " + Text.printable(e.getMessage(),
                    300));
        }
    }

    private static void requireOneStatement(String key, NamedSql sql) {
        if (sql.severalStatements()) {
            throw new SettingsException(key, "must be one statement, without ';' between statements");
        }
    }

    private static void requireKnown(String key, NamedSql sql, Set<String> known) {
        for (String name : sql.names()) {
            if (!known.contains(name)) {
                String why = TradeParameters.REACTION.contains(name) ? "known to reactions only (the lookup runs"
                        + " before the change)" : "not a parameter";
                throw new SettingsException(key, "uses :" + name + ", which is " + why + "; known: "
                        + new TreeSet<>(known));
            }
        }
    }

    private static Map<TradeEvent, String> reactionKeys() {
        Map<TradeEvent, String> m = new EnumMap<>(TradeEvent.class);
        m.put(TradeEvent.PAID, Settings.ORDER_ON_PAID_SQL);
        m.put(TradeEvent.REFUNDED, Settings.ORDER_ON_REFUNDED_SQL);
        m.put(TradeEvent.FINISHED, Settings.ORDER_ON_FINISHED_SQL);
        m.put(TradeEvent.CLOSED, Settings.ORDER_ON_CLOSED_SQL);
        m.put(TradeEvent.ATTENTION, Settings.ORDER_ON_ATTENTION_SQL);
        return m;
    }

}
