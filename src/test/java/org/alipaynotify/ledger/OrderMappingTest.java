package org.alipaynotify.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.junit.jupiter.api.Test;

/** The start-up refusals that need no database (those that do: OrderMappingIT). */
class OrderMappingTest {
    static final String LOOKUP = "SELECT amount_fen AS total_amount_fen FROM t_order WHERE order_no = :out_trade_no"
            + " FOR UPDATE";

    static Settings settings(Map<String, String> order) {
        Map<String, String> sys = new HashMap<>(order);
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.PUBLIC_KEY, "unused-here");
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/x");
        return Settings.load(sys, Map.of());
    }

    static SettingsException refused(Map<String, String> order) {
        return assertThrows(SettingsException.class, () -> OrderMapping.from(settings(order)));
    }

    @Test
    void noOrderSettingMeansAlipayOrderAsToday() {
        OrderMapping m = OrderMapping.from(settings(Map.of()));
        assertFalse(m.custom());
        assertTrue(m.keys().isEmpty());
        assertTrue(m.store() instanceof OwnOrderTable);
    }

    @Test
    void aValidMappingIsTaken() {
        OrderMapping m = OrderMapping.from(settings(Map.of(Settings.ORDER_LOOKUP_SQL, LOOKUP,
                Settings.ORDER_ON_PAID_SQL, "UPDATE t_order SET status = 1 WHERE order_no = :out_trade_no")));
        assertTrue(m.custom());
        assertTrue(m.reactions().any());
    }

    @Test
    void aLookupWithoutForUpdateIsRefused() {
        SettingsException e = refused(Map.of(Settings.ORDER_LOOKUP_SQL,
                "SELECT amount_fen AS total_amount_fen FROM t_order WHERE order_no = :out_trade_no"));
        assertEquals(Settings.ORDER_LOOKUP_SQL, e.key());
        assertTrue(e.getMessage().contains("FOR UPDATE"), e.getMessage());
    }

    @Test
    void aLookupThatIsNoSelectIsRefused() {
        SettingsException e = refused(Map.of(Settings.ORDER_LOOKUP_SQL,
                "UPDATE t_order SET x = 1 WHERE order_no = :out_trade_no FOR UPDATE"));
        assertTrue(e.getMessage().contains("must be a SELECT"), e.getMessage());
    }

    @Test
    void aLookupWithoutTheOrderIdIsRefused() {
        SettingsException e = refused(Map.of(Settings.ORDER_LOOKUP_SQL,
                "SELECT amount_fen AS total_amount_fen FROM t_order WHERE order_no = :trade_no FOR UPDATE"));
        assertTrue(e.getMessage().contains(":out_trade_no"), e.getMessage());
    }

    @Test
    void anUnknownParameterIsRefusedByName() {
        SettingsException e = refused(Map.of(Settings.ORDER_LOOKUP_SQL, LOOKUP, Settings.ORDER_ON_PAID_SQL,
                "UPDATE t_order SET paid_at = :paid_time WHERE order_no = :out_trade_no"));
        assertEquals(Settings.ORDER_ON_PAID_SQL, e.key());
        assertTrue(e.getMessage().contains(":paid_time, which is not a parameter"), e.getMessage());
    }

    @Test
    void theLookupCannotUseWhatOnlyReactionsKnow() {
        SettingsException e = refused(Map.of(Settings.ORDER_LOOKUP_SQL, LOOKUP.replace("FOR UPDATE",
                "AND :previous_status IS NOT NULL FOR UPDATE")));
        assertTrue(e.getMessage().contains(":previous_status, which is known to reactions only"), e.getMessage());
    }

    @Test
    void severalStatementsAreRefused() {
        SettingsException e = refused(Map.of(Settings.ORDER_ON_CLOSED_SQL,
                "UPDATE t_order SET status = 2 WHERE order_no = :out_trade_no; DELETE FROM t_order"));
        assertEquals(Settings.ORDER_ON_CLOSED_SQL, e.key());
        assertTrue(e.getMessage().contains("one statement"), e.getMessage());
    }

    @Test
    void aReactionThatIsASelectIsRefused() {
        SettingsException e = refused(Map.of(Settings.ORDER_ON_FINISHED_SQL,
                "SELECT * FROM t_order WHERE order_no = :out_trade_no"));
        assertTrue(e.getMessage().contains("got SELECT"), e.getMessage());
    }

    @Test
    void theZeroRowsPolicyIsValidated() {
        SettingsException e = assertThrows(SettingsException.class,
                () -> settings(Map.of(Settings.ORDER_ON_ZERO_ROWS, "ignore")));
        assertEquals(Settings.ORDER_ON_ZERO_ROWS, e.key());
        assertTrue(settings(Map.of(Settings.ORDER_ON_ZERO_ROWS, "FAIL")).orderZeroRowsFail());
    }

    @Test
    void whichOrdersWaitIsOursWithAlipayOrderAndTheMerchantsStatementOtherwise() {
        assertEquals(OrderMapping.OWN_WAITING, OrderMapping.from(settings(Map.of())).waitingSql());
        assertEquals("alipay_order", OrderMapping.from(settings(Map.of())).factsTable());
        OrderMapping custom = OrderMapping.from(settings(Map.of(Settings.ORDER_LOOKUP_SQL, LOOKUP)));
        assertEquals(null, custom.waitingSql(), "the merchant's waiting orders are theirs to name");
        assertEquals("alipay_trade", custom.factsTable());
        OrderMapping named = OrderMapping.from(settings(Map.of(Settings.ORDER_LOOKUP_SQL, LOOKUP,
                Settings.ORDER_WAITING_SQL, "SELECT order_no AS out_trade_no, TIMESTAMPDIFF(SECOND, created, NOW())"
                        + " AS age_seconds FROM t_order WHERE status = 0")));
        assertTrue(named.waitingSql().startsWith("SELECT order_no AS out_trade_no"));
        SettingsException e = refused(Map.of(Settings.ORDER_WAITING_SQL,
                "SELECT order_no FROM t_order WHERE order_no = :out_trade_no"));
        assertEquals(Settings.ORDER_WAITING_SQL, e.key());
    }
}
