package org.alipaynotify.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The merchant's own statements for each {@link TradeEvent}, run in the notification's transaction, in the events'
 * order. One that fails rolls everything back (our records too) and the notification is answered failure, so Alipay
 * redelivers: nothing is ever half applied. One that changes no row is logged (WARN), or with
 * {@code order.on-zero-rows=fail} fails the same way.
 */
final class Reactions {
    private static final Logger LOG = LogManager.getLogger(Reactions.class);

    static final Reactions NONE = new Reactions(new EnumMap<>(TradeEvent.class), Map.of(), false);

    private final Map<TradeEvent, NamedSql> statements;
    private final Map<TradeEvent, String> keys;
    private final boolean zeroRowsFail;

    Reactions(Map<TradeEvent, NamedSql> statements, Map<TradeEvent, String> keys, boolean zeroRowsFail) {
        this.statements = new EnumMap<>(TradeEvent.class);
        this.statements.putAll(statements);
        this.keys = Map.copyOf(keys);
        this.zeroRowsFail = zeroRowsFail;
    }

    boolean any() {
        return !statements.isEmpty();
    }

    void run(Connection c, Notification n, OrderRow before, OrderRow after, java.util.List<TradeEvent> events)
            throws Refused {
        if (statements.isEmpty()) {
            return;
        }
        for (TradeEvent event : events) {
            NamedSql sql = statements.get(event);
            if (sql == null) {
                continue;
            }
            String key = keys.get(event);
            int rows;
            try (PreparedStatement ps = c.prepareStatement(sql.jdbc())) {
                TradeParameters.forReaction(n, before, after, event).bind(ps, sql.names());
                rows = ps.executeUpdate();
            } catch (SQLException e) {
                throw new Refused(Outcome.REACTION_FAILED, key + " failed for out_trade_no " + n.outTradeNo() + ": "
                        + "SQLState " + e.getSQLState() + ", code " + e.getErrorCode() + ", "
                        + Text.printable(e.getMessage(), 200), e);
            }
            if (rows == 0) {
                if (zeroRowsFail) {
                    throw new Refused(Outcome.REACTION_FAILED, key + " changed no row for out_trade_no "
                            + n.outTradeNo() + " (order.on-zero-rows=fail)");
                }
                LOG.warn("{} changed no row for out_trade_no {} ({}); the notification is applied all the same"
                        + " (order.on-zero-rows=warn)", key, n.outTradeNo(), event);
            }
        }
    }
}
