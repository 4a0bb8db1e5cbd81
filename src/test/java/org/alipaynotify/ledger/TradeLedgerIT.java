package org.alipaynotify.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.when;

import com.zaxxer.hikari.HikariDataSource;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.alipaynotify.Ledger;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.boot.Database;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.request.CheckedNotifications;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The transaction against the real MariaDB/MySQL server: every row of the state table, locking, dedup, faults. */
class TradeLedgerIT {
    private static TestDatabase db;
    private static HikariDataSource pool;
    private static TradeLedger ledger;
    private static CheckedNotifications checker;

    @BeforeAll
    static void open() {
        db = TestDatabase.get();
        pool = Database.open(settings(Map.of(Settings.DB_LOCK_WAIT_TIMEOUT_SECONDS, "1")));
        ledger = new TradeLedger(pool);
        checker = new CheckedNotifications(Notifications.APP_ID);
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Settings settings(Map<String, String> extra) {
        Map<String, String> sys = new HashMap<>(extra);
        sys.put(Settings.APP_ID, Notifications.APP_ID);
        sys.put(Settings.PUBLIC_KEY, "unused-here");
        sys.put(Settings.DB_URL, db.url());
        sys.put(Settings.DB_USER, db.user());
        sys.put(Settings.DB_PASSWORD, db.password());
        return Settings.load(sys, Map.of());
    }

    /** Params as they would arrive; the ledger sees them after verification, so no signature is needed here. */
    static Notification notification(Map<String, String> params) throws Refused {
        return checker.of(params);
    }

    static Outcome apply(Map<String, String> params) throws Refused {
        return ledger.apply(notification(params), "127.0.0.1").outcome();
    }

    static String newOrder(String amount) throws SQLException {
        String id = Notifications.uniqueId("ord-");
        db.insertOrder(id, amount);
        return id;
    }

    static void setOrder(String id, String status, boolean paid) throws SQLException {
        db.execute("UPDATE alipay_order SET trade_status = ?, paid = ? WHERE out_trade_no = ?", status, paid, id);
    }

    static Map<String, Object> order(String id) throws SQLException {
        try (Connection c = db.connect();
                var ps = c.prepareStatement("SELECT * FROM alipay_order WHERE out_trade_no = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "order " + id + " exists");
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                return row;
            }
        }
    }

    static long notifyRows(String outTradeNo) throws SQLException {
        return ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", outTradeNo))
                .longValue();
    }

    static boolean flag(Object o) {
        return o instanceof Boolean b ? b : ((Number) o).intValue() != 0;
    }

    @Test
    void schemaAppliesTwiceAndAnInsertOfIdAndAmountIsPayable() throws SQLException {
        db.applySchema();
        String id = newOrder("88.80");
        Map<String, Object> row = order(id);
        assertEquals("WAIT_BUYER_PAY", row.get("trade_status"));
        assertEquals(0, new BigDecimal("88.80").compareTo((BigDecimal) row.get("total_amount")));
        assertNull(row.get("trade_no"));
    }

    @Test
    void paymentIsAppliedWithItsFactsAndTheExactBody() throws Exception {
        String id = newOrder("88.80");
        Map<String, String> p = Notifications.tradeSuccess(id, "88.8");
        assertEquals(Outcome.APPLIED, apply(p));
        Map<String, Object> row = order(id);
        assertEquals("TRADE_SUCCESS", row.get("trade_status"));
        assertTrue(flag(row.get("paid")));
        assertEquals(p.get("trade_no"), row.get("trade_no"));
        assertEquals(p.get("buyer_id"), row.get("buyer_id"));
        assertEquals(LocalDateTime.of(2026, 11, 25, 10, 0, 5), row.get("gmt_payment"));
        assertEquals(0, new BigDecimal("88.8").compareTo((BigDecimal) row.get("receipt_amount")));
        assertEquals(p.get("notify_id"), row.get("last_notify_id"));
        byte[] stored = (byte[]) db.scalar("SELECT raw_body FROM alipay_notify WHERE notify_id = ?", p.get("notify_id"));
        assertArrayEquals(AlipaySigner.formBody(p), stored);
        assertEquals("APPLIED", db.scalar("SELECT outcome FROM alipay_notify WHERE notify_id = ?", p.get("notify_id")));
    }

    @Test
    void sameNotifyIdTwiceIsADuplicateThatChangesNothing() throws Exception {
        String id = newOrder("10.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "10.00");
        assertEquals(Outcome.APPLIED, apply(p));
        Object updatedAt = order(id).get("updated_at");
        assertEquals(Outcome.DUPLICATE, apply(p));
        assertEquals(1, notifyRows(id));
        assertEquals(updatedAt, order(id).get("updated_at"));
    }

    @Test
    void unknownOrderIsKeptWithItsDeliveriesCountedAndStaysRefused() throws Exception {
        String id = Notifications.uniqueId("missing-");
        Map<String, String> p = Notifications.tradeSuccess(id, "1.00");
        Ledger.Applied first = ledger.apply(notification(p), "203.0.113.7");
        assertEquals(Outcome.UNKNOWN_ORDER, first.outcome(), "still refused: Alipay redelivers in case it is late");
        assertEquals(Outcome.UNKNOWN_ORDER, apply(p));
        assertEquals(Outcome.UNKNOWN_ORDER, apply(p));
        assertEquals(0, notifyRows(id));
        Map<String, Object> kept = row("SELECT * FROM alipay_notify_unmatched WHERE notify_id = ?", p.get("notify_id"));
        assertEquals(id, kept.get("out_trade_no"));
        assertEquals(3, ((Number) kept.get("deliveries")).intValue());
        assertEquals(p.get("trade_no"), kept.get("trade_no"));
        assertEquals(Notifications.APP_ID, kept.get("app_id"));
        assertEquals("TRADE_SUCCESS", kept.get("trade_status"));
        assertEquals("203.0.113.7", kept.get("remote_addr"));
        assertArrayEquals(AlipaySigner.formBody(p), (byte[]) kept.get("raw_body"));
        assertEquals(1L, unresolved(p.get("notify_id")), "visible as unresolved");

        db.insertOrder(id, "1.00"); // the order arrives late
        assertEquals(Outcome.APPLIED, apply(p));
        assertEquals("TRADE_SUCCESS", order(id).get("trade_status"));
        assertEquals(0L, unresolved(p.get("notify_id")), "resolved once applied");
    }

    /** The README's query for unmatched notifications nobody has applied yet. */
    static long unresolved(String notifyId) throws SQLException {
        return ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_unmatched u"
                + " LEFT JOIN alipay_notify n ON n.notify_id = u.notify_id"
                + " WHERE n.id IS NULL AND u.notify_id = ?", notifyId)).longValue();
    }

    static Map<String, Object> row(String sql, Object... args) throws SQLException {
        try (Connection c = db.connect(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a row for " + sql);
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                return row;
            }
        }
    }

    @Test
    void anOrderEqualOnlyUnderTheCollationIsNotThisOrder() throws Exception {
        // 'X ' and 'X' are equal under PAD SPACE collations: the lock finds the row, the ledger must still refuse it
        String id = Notifications.uniqueId("pad-");
        db.insertOrder(id + " ", "1.00");
        assertEquals(Outcome.UNKNOWN_ORDER, apply(Notifications.tradeSuccess(id, "1.00")));
        assertEquals("WAIT_BUYER_PAY", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?",
                id + " "));
        assertEquals(0, notifyRows(id));
    }

    @Test
    void amountsCompareAsDecimals() throws Exception {
        String id = newOrder("11.00");
        assertEquals(Outcome.APPLIED, apply(Notifications.tradeSuccess(id, "11")));
        String other = newOrder("88.8");
        assertEquals(Outcome.APPLIED, apply(Notifications.tradeSuccess(other, "88.80")));
    }

    @Test
    void aSignedAmountMismatchIsRecordedAndFlagsTheOrderWithoutPayingIt() throws Exception {
        String id = newOrder("11.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "11.01");
        assertEquals(Outcome.AMOUNT_MISMATCH, apply(p));
        Map<String, Object> row = order(id);
        assertEquals("WAIT_BUYER_PAY", row.get("trade_status"));
        assertEquals(false, flag(row.get("paid")));
        assertNull(row.get("trade_no"));
        assertTrue(flag(row.get("needs_attention")));
        assertTrue(((String) row.get("attention_reason")).contains("11.01"), (String) row.get("attention_reason"));
        assertNull(row.get("last_notify_id"), "nothing of this notification was applied to the order");
        assertEquals("AMOUNT_MISMATCH", db.scalar("SELECT outcome FROM alipay_notify WHERE notify_id = ?",
                p.get("notify_id")));
        assertArrayEquals(AlipaySigner.formBody(p),
                (byte[]) db.scalar("SELECT raw_body FROM alipay_notify WHERE notify_id = ?", p.get("notify_id")));

        Object updatedAt = order(id).get("updated_at");
        assertEquals(Outcome.AMOUNT_MISMATCH, apply(p), "a redelivery is refused again: failure, Alipay retries");
        assertEquals(1, notifyRows(id));
        assertEquals(updatedAt, order(id).get("updated_at"), "and writes nothing new");
    }

    @Test
    void aRedeliveryAfterTheOrdersAmountWasCorrectedApplies() throws Exception {
        String id = newOrder("11.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "11.10");
        assertEquals(Outcome.AMOUNT_MISMATCH, apply(p));
        db.execute("UPDATE alipay_order SET total_amount = 11.10 WHERE out_trade_no = ?", id);
        assertEquals(Outcome.APPLIED, apply(p));
        assertEquals("TRADE_SUCCESS", order(id).get("trade_status"));
        assertTrue(flag(order(id).get("needs_attention")), "the flag stays until a person clears it");
        assertEquals("APPLIED", db.scalar("SELECT outcome FROM alipay_notify WHERE notify_id = ?",
                p.get("notify_id")));
        assertEquals(1, notifyRows(id));
        assertEquals(Outcome.DUPLICATE, apply(p));
    }

    @Test
    void aSecondTradeIsRecordedAndFlaggedAndChangesNothingElse() throws Exception {
        String id = newOrder("20.00");
        Map<String, String> t1 = Notifications.tradeSuccess(id, "20.00");
        assertEquals(Outcome.APPLIED, apply(t1));
        Map<String, String> t2 = Notifications.tradeSuccess(id, "20.00"); // another trade_no, another notify_id
        Map<String, Object> before = order(id);

        assertEquals(Outcome.SECOND_TRADE, apply(t2));
        Map<String, String> t2closed = Notifications.next(t2, "TRADE_CLOSED");
        t2closed.put("refund_fee", "20.00");
        assertEquals(Outcome.SECOND_TRADE, apply(t2closed), "T2's full refund does not close the order T1 paid");

        Map<String, Object> after = order(id);
        assertEquals("TRADE_SUCCESS", after.get("trade_status"));
        assertEquals(t1.get("trade_no"), after.get("trade_no"));
        assertNull(after.get("refund_fee"));
        assertEquals(t1.get("notify_id"), after.get("last_notify_id"));
        assertTrue(flag(after.get("needs_attention")));
        assertTrue(((String) after.get("attention_reason")).contains(t2.get("trade_no")));
        assertEquals(before.get("gmt_payment"), after.get("gmt_payment"));
        assertEquals(3, notifyRows(id));
        assertEquals(t2.get("trade_no"), db.scalar("SELECT trade_no FROM alipay_notify WHERE notify_id = ?",
                t2.get("notify_id")));
    }

    @Test
    void anOrderClosedByHandAfterItWasPaidIsFlaggedByTheNextNotification() throws Exception {
        String id = newOrder("30.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "30.00");
        assertEquals(Outcome.APPLIED, apply(p));
        db.execute("UPDATE alipay_order SET trade_status = 'TRADE_CLOSED' WHERE out_trade_no = ?", id); // the race
        assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(p, "TRADE_FINISHED")));
        Map<String, Object> row = order(id);
        assertTrue(flag(row.get("needs_attention")));
        assertTrue(((String) row.get("attention_reason")).contains("closed locally"), (String) row.get("attention_reason"));
    }

    @Test
    void anOrderClosedByAlipaysFullRefundIsNotFlagged() throws Exception {
        String id = newOrder("30.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "30.00");
        assertEquals(Outcome.APPLIED, apply(p));
        assertEquals(Outcome.APPLIED, apply(Notifications.next(p, "TRADE_CLOSED"))); // no refund_fee sent
        assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(p, "TRADE_FINISHED")));
        assertEquals(false, flag(order(id).get("needs_attention")));
    }

    @Test
    void onlyTheNotifyIdKeyMeansAlreadyApplied() throws Exception {
        // Another unique key failing inside the transaction (a DBA's audit trigger here) must not make a real change
        // look like a duplicate, answered success and lost.
        String id = Notifications.uniqueId("guard-");
        db.insertOrder(id, "40.00");
        Map<String, String> p = Notifications.tradeSuccess(id, "40.00");
        assertEquals(Outcome.APPLIED, apply(p));
        db.execute("CREATE TABLE test_audit_guard (out_trade_no VARCHAR(64) PRIMARY KEY)");
        db.execute("CREATE TRIGGER test_audit_guard_ai AFTER INSERT ON alipay_notify FOR EACH ROW"
                + " INSERT INTO test_audit_guard VALUES (IF(NEW.out_trade_no LIKE 'guard-%', 'same', NEW.notify_id))");
        try {
            db.execute("INSERT INTO test_audit_guard VALUES ('same')");
            Map<String, String> refund = Notifications.next(p, "TRADE_SUCCESS");
            refund.put("refund_fee", "10.00");
            Refused r = assertThrows(Refused.class, () -> apply(refund));
            assertEquals(Outcome.DATABASE_ERROR, r.outcome());
            assertNull(order(id).get("refund_fee"));
            assertEquals(1, notifyRows(id));
        } finally {
            db.execute("DROP TRIGGER test_audit_guard_ai");
            db.execute("DROP TABLE test_audit_guard");
        }
    }

    // ---- the state table, row by row, through the database ----

    @Test
    void waitBuyerPayTakesEachNotifiedState() throws Exception {
        for (String status : new String[] {"TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED"}) {
            String id = newOrder("5.00");
            Map<String, String> p = Notifications.tradeSuccess(id, "5.00");
            p.put("trade_status", status);
            if (status.equals("TRADE_CLOSED")) {
                p.remove("gmt_payment");
                p.put("gmt_close", "2026-11-25 11:00:00");
            }
            assertEquals(Outcome.APPLIED, apply(p), status);
            Map<String, Object> row = order(id);
            assertEquals(status, row.get("trade_status"));
            assertEquals(!status.equals("TRADE_CLOSED"), flag(row.get("paid")), status);
        }
    }

    @Test
    void successThenFinished() throws Exception {
        String id = newOrder("5.00");
        Map<String, String> paid = Notifications.tradeSuccess(id, "5.00");
        apply(paid);
        assertEquals(Outcome.APPLIED, apply(Notifications.next(paid, "TRADE_FINISHED")));
        assertEquals("TRADE_FINISHED", order(id).get("trade_status"));
    }

    @Test
    void partialRefundsAccumulateAndNeverGoDown() throws Exception {
        String id = newOrder("100.00");
        Map<String, String> paid = Notifications.tradeSuccess(id, "100.00");
        apply(paid);
        Map<String, String> refund1 = Notifications.next(paid, "TRADE_SUCCESS");
        refund1.put("refund_fee", "30.00");
        refund1.put("gmt_refund", "2026-11-26 09:00:00.123");
        refund1.put("out_biz_no", "refund-1");
        Map<String, String> refund2 = Notifications.next(paid, "TRADE_SUCCESS");
        refund2.put("refund_fee", "50.00");
        refund2.put("gmt_refund", "2026-11-26 10:00:00.456");
        refund2.put("out_biz_no", "refund-2");
        assertEquals(Outcome.REFUND_RECORDED, apply(refund2)); // the later refund arrives first
        assertEquals(Outcome.NO_CHANGE, apply(refund1));
        Map<String, Object> row = order(id);
        assertEquals("TRADE_SUCCESS", row.get("trade_status"));
        assertEquals(0, new BigDecimal("50.00").compareTo((BigDecimal) row.get("refund_fee")));
        assertEquals(LocalDateTime.of(2026, 11, 26, 10, 0, 0, 456_000_000), row.get("gmt_refund"));
    }

    @Test
    void successThenClosedIsAFullRefund() throws Exception {
        String id = newOrder("20.00");
        Map<String, String> paid = Notifications.tradeSuccess(id, "20.00");
        apply(paid);
        Map<String, String> closed = Notifications.next(paid, "TRADE_CLOSED");
        closed.put("refund_fee", "20.00");
        closed.put("gmt_refund", "2026-11-27 08:00:00.000");
        closed.put("gmt_close", "2026-11-27 08:00:01");
        assertEquals(Outcome.APPLIED, apply(closed));
        Map<String, Object> row = order(id);
        assertEquals("TRADE_CLOSED", row.get("trade_status"));
        assertTrue(flag(row.get("paid")));
        assertEquals(0, new BigDecimal("20.00").compareTo((BigDecimal) row.get("refund_fee")));
        assertEquals(LocalDateTime.of(2026, 11, 27, 8, 0, 1), row.get("gmt_close"));
        // a late TRADE_SUCCESS of the same trade is older: acknowledged, state stays
        assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(paid, "TRADE_SUCCESS")));
        assertEquals("TRADE_CLOSED", order(id).get("trade_status"));
    }

    @Test
    void finishedIsTerminal() throws Exception {
        String id = newOrder("7.00");
        Map<String, String> finished = Notifications.tradeSuccess(id, "7.00");
        finished.put("trade_status", "TRADE_FINISHED");
        apply(finished);
        for (String status : new String[] {"TRADE_SUCCESS", "TRADE_CLOSED", "WAIT_BUYER_PAY", "TRADE_FINISHED"}) {
            assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(finished, status)), status);
            assertEquals("TRADE_FINISHED", order(id).get("trade_status"), status);
        }
    }

    @Test
    void paymentAfterALocalCloseIsAppliedAndFlagged() throws Exception {
        String id = newOrder("9.99");
        setOrder(id, "TRADE_CLOSED", false);
        Map<String, String> p = Notifications.tradeSuccess(id, "9.99");
        assertEquals(Outcome.LATE_PAYMENT, apply(p));
        Map<String, Object> row = order(id);
        assertEquals("TRADE_SUCCESS", row.get("trade_status"));
        assertTrue(flag(row.get("paid")));
        assertTrue(flag(row.get("needs_attention")));
        assertTrue(((String) row.get("attention_reason")).contains(p.get("notify_id")));
        assertEquals(p.get("trade_no"), row.get("trade_no"));
        assertEquals(1L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_order WHERE needs_attention = 1"
                + " AND out_trade_no = ?", id)).longValue());
    }

    @Test
    void finishedAfterALocalCloseIsAlsoALatePayment() throws Exception {
        String id = newOrder("9.99");
        setOrder(id, "TRADE_CLOSED", false);
        Map<String, String> p = Notifications.tradeSuccess(id, "9.99");
        p.put("trade_status", "TRADE_FINISHED");
        assertEquals(Outcome.LATE_PAYMENT, apply(p));
        assertEquals("TRADE_FINISHED", order(id).get("trade_status"));
    }

    @Test
    void olderStatesAreAcknowledgedWithoutMovingBack() throws Exception {
        String id = newOrder("3.00");
        Map<String, String> paid = Notifications.tradeSuccess(id, "3.00");
        apply(paid);
        assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(paid, "WAIT_BUYER_PAY")));
        assertEquals("TRADE_SUCCESS", order(id).get("trade_status"));
        assertEquals(2, notifyRows(id));
    }

    // ---- faults ----

    @Test
    void aRowLockedLongerThanTheLockTimeoutIsADatabaseErrorAndWritesNothing() throws Exception {
        String id = newOrder("1.00");
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            try (var ps = holder.prepareStatement("SELECT * FROM alipay_order WHERE out_trade_no = ? FOR UPDATE")) {
                ps.setString(1, id);
                ps.executeQuery().close();
            }
            long start = System.nanoTime();
            Refused r = assertThrows(Refused.class, () -> apply(Notifications.tradeSuccess(id, "1.00")));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(Outcome.DATABASE_ERROR, r.outcome());
            assertTrue(r.reason().contains("lock wait timeout"), r.reason());
            assertTrue(ms < 5_000, "bounded by the 1 s lock wait timeout, took " + ms + " ms");
            holder.rollback();
        }
        assertEquals(0, notifyRows(id));
        assertEquals("WAIT_BUYER_PAY", order(id).get("trade_status"));
        assertEquals(Outcome.APPLIED, apply(Notifications.tradeSuccess(id, "1.00")));
    }

    @Test
    void aFailedCommitIsADatabaseErrorAndLeavesNothingBehind() throws Exception {
        String id = newOrder("2.00");
        DataSource failing = mock(DataSource.class);
        Connection real = pool.getConnection();
        Connection conn = spy(real);
        doThrow(new SQLException("connection lost during commit", "08S01")).when(conn).commit();
        when(failing.getConnection()).thenReturn(conn);
        Map<String, String> p = Notifications.tradeSuccess(id, "2.00");
        Refused r = assertThrows(Refused.class, () -> new TradeLedger(failing).apply(notification(p), "x"));
        assertEquals(Outcome.DATABASE_ERROR, r.outcome());
        assertEquals(0, notifyRows(id));
        assertEquals(List.of(), events(id), "the event goes with the rolled-back change");
        assertEquals("WAIT_BUYER_PAY", order(id).get("trade_status"));
        assertEquals(Outcome.APPLIED, apply(p)); // redelivered after recovery: applied once
        assertEquals(1, notifyRows(id));
        assertEquals(List.of("PAID"), events(id));
    }

    /** The outbox rows of one order, oldest first. */
    static List<String> events(String id) throws SQLException {
        List<String> types = new java.util.ArrayList<>();
        try (Connection c = db.connect(); var ps = c.prepareStatement(
                "SELECT type FROM alipay_notify_event WHERE aggregateid = ? ORDER BY seq")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.add(rs.getString(1));
                }
            }
        }
        return types;
    }

    @Test
    void eachBusinessEventIsWrittenWithItsChangeAndNoneForADuplicateOrANoChange() throws Exception {
        String id = newOrder("50.00");
        Map<String, String> pay = Notifications.tradeSuccess(id, "50.00");
        assertEquals(Outcome.APPLIED, apply(pay));
        assertEquals(Outcome.DUPLICATE, apply(pay));
        assertEquals(Outcome.NO_CHANGE, apply(Notifications.next(pay, "TRADE_SUCCESS")));
        Map<String, String> refund = Notifications.next(pay, "TRADE_SUCCESS");
        refund.put("refund_fee", "20.00");
        assertEquals(Outcome.REFUND_RECORDED, apply(refund));
        assertEquals(Outcome.APPLIED, apply(Notifications.next(pay, "TRADE_FINISHED")));
        assertEquals(List.of("PAID", "REFUNDED", "FINISHED"), events(id));
        Map<String, Object> refunded = row("SELECT * FROM alipay_notify_event WHERE aggregateid = ? AND type ="
                + " 'REFUNDED'", id);
        assertEquals("alipay_trade", refunded.get("aggregatetype"));
        assertEquals(refund.get("notify_id"), refunded.get("notify_id"));
        String payload = (String) refunded.get("payload");
        assertTrue(payload.contains("\"refund_fee\":\"20.00\"") && payload.contains("\"refund_delta\":\"20.00\"")
                && payload.contains("\"total_amount\":\"50.00\"") && payload.contains("\"id\":\""
                + refunded.get("id") + "\""), payload);
        assertEquals("PENDING", refunded.get("status"));
    }

    @Test
    void anUnreachableDatabaseIsADatabaseError() throws Exception {
        DataSource down = mock(DataSource.class);
        when(down.getConnection()).thenThrow(new SQLException("Connection is not available, request timed out"));
        Refused r = assertThrows(Refused.class, () -> new TradeLedger(down)
                .apply(notification(Notifications.tradeSuccess("any", "1.00")), "x"));
        assertEquals(Outcome.DATABASE_ERROR, r.outcome());
        assertEquals(503, r.outcome().httpStatus());
    }

    @Test
    void chineseTextSurvivesInTheStoredBody() throws Exception {
        String id = newOrder("1.00");
        Map<String, String> p = new LinkedHashMap<>(Notifications.tradeSuccess(id, "1.00"));
        p.put("charset", "gbk");
        p.put("subject", "中文 商品+");
        apply(p);
        byte[] body = (byte[]) db.scalar("SELECT raw_body FROM alipay_notify WHERE notify_id = ?", p.get("notify_id"));
        assertEquals(new String(AlipaySigner.formBody(p), StandardCharsets.US_ASCII),
                new String(body, StandardCharsets.US_ASCII));
        assertEquals("gbk", db.scalar("SELECT charset FROM alipay_notify WHERE notify_id = ?", p.get("notify_id")));
    }
}
