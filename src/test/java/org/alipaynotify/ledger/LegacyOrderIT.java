package org.alipaynotify.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/legacy-order end to end: the built WAR over real HTTP, the merchant's t_order (fen, status codes) reached
 * only through the example's statements, our facts in alipay_trade, the real database.
 */
class LegacyOrderIT {
    static final Path EXAMPLE = Path.of("examples/legacy-order");

    @TempDir
    static Path dir;
    static TestDatabase db;
    static SandboxKeys keys;
    static AlipaySigner signer;
    static WarServer server;
    static Path certificate;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.get();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(Files.readString(EXAMPLE.resolve("t_order.sql")).replaceAll("(?m)^--.*$", ""));
        }
        keys = SandboxKeys.generate();
        signer = new AlipaySigner(keys.keyPair().getPrivate());
        certificate = keys.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt"));
        server = WarServer.start(settings(Map.of()));
        assertNull(server.startupFailure());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** The test's database and key, plus every order.* setting of the example (as an operator's file gives them). */
    static Map<String, String> settings(Map<String, String> overrides) throws Exception {
        Map<String, String> s = db.webappSettings(certificate);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(EXAMPLE.resolve("alipay-notify.properties"))) {
            p.load(in);
        }
        p.stringPropertyNames().forEach(k -> s.put(k, p.getProperty(k)));
        s.putAll(overrides);
        return s;
    }

    static String newOrder(long amountFen, int status) throws SQLException {
        String id = Notifications.uniqueId("legacy-");
        db.execute("INSERT INTO t_order (order_no, user_id, amount_fen, status) VALUES (?, 42, ?, ?)", id, amountFen,
                status);
        return id;
    }

    static Map<String, Object> row(String table, String keyColumn, String id) throws SQLException {
        try (Connection c = db.connect();
                var ps = c.prepareStatement("SELECT * FROM " + table + " WHERE " + keyColumn + " = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                return row;
            }
        }
    }

    static Map<String, Object> order(String id) throws SQLException {
        return row("t_order", "order_no", id);
    }

    static Map<String, Object> facts(String id) throws SQLException {
        return row("alipay_trade", "out_trade_no", id);
    }

    static int status(String id) throws SQLException {
        return ((Number) order(id).get("status")).intValue();
    }

    static long number(Object o) {
        return o instanceof Boolean b ? (b ? 1 : 0) : ((Number) o).longValue();
    }

    static HttpResponse<String> send(Map<String, String> params) throws Exception {
        return server.notify(AlipaySigner.formBody(signer.signed(params)));
    }

    static void assertAnswer(HttpResponse<String> r, int status, String body) {
        assertEquals(status + " " + body, r.statusCode() + " " + r.body());
    }

    static Map<String, String> next(Map<String, String> base, String status) {
        return Notifications.next(base, status);
    }

    @Test
    void paidThenRefundedPartlyThenInFull() throws Exception {
        String id = newOrder(8_880, 0);
        Map<String, String> pay = Notifications.tradeSuccess(id, "88.8");
        assertAnswer(send(pay), 200, "success");
        Map<String, Object> o = order(id);
        assertEquals(1, status(id));
        assertEquals(LocalDateTime.of(2026, 11, 25, 10, 0, 5), o.get("paid_at"));
        assertEquals(pay.get("trade_no"), o.get("alipay_trade_no"));
        assertEquals("TRADE_SUCCESS", facts(id).get("trade_status"));
        assertEquals(1, number(facts(id).get("paid")));

        Map<String, String> refund1 = next(pay, "TRADE_SUCCESS");
        refund1.put("refund_fee", "10.00");
        refund1.put("gmt_refund", "2026-11-26 09:00:00.123");
        assertAnswer(send(refund1), 200, "success");
        assertEquals(1_000, number(order(id).get("refunded_fen")));
        assertEquals(1, status(id));

        Map<String, String> refund2 = next(pay, "TRADE_SUCCESS");
        refund2.put("refund_fee", "30.00");
        assertAnswer(send(refund2), 200, "success");
        assertEquals(3_000, number(order(id).get("refunded_fen")));

        Map<String, String> full = next(pay, "TRADE_CLOSED");
        full.put("refund_fee", "88.80");
        assertAnswer(send(full), 200, "success");
        assertEquals(8_880, number(order(id).get("refunded_fen")));
        assertEquals(3, status(id));
        assertEquals("TRADE_CLOSED", facts(id).get("trade_status"));
        assertEquals(4, number(order(id).get("version")), "one reaction per change: paid, refund, refund, refund");
        assertAnswer(send(full), 200, "success"); // a redelivery changes nothing
        assertEquals(4, number(order(id).get("version")));
    }

    @Test
    void finishedAfterPaymentAndFinishedAloneRunPaidThenFinished() throws Exception {
        String a = newOrder(100, 0);
        Map<String, String> pay = Notifications.tradeSuccess(a, "1.00");
        assertAnswer(send(pay), 200, "success");
        assertAnswer(send(next(pay, "TRADE_FINISHED")), 200, "success");
        assertEquals(4, status(a));

        // A non-refundable product sends TRADE_FINISHED alone: paid (status 1), then finished (status 1 -> 4).
        String b = newOrder(200, 0);
        Map<String, String> finishedOnly = Notifications.tradeSuccess(b, "2.00");
        finishedOnly.put("trade_status", "TRADE_FINISHED");
        assertAnswer(send(finishedOnly), 200, "success");
        assertEquals(4, status(b));
        assertEquals(2, number(order(b).get("version")));
        assertEquals(finishedOnly.get("trade_no"), order(b).get("alipay_trade_no"));
    }

    @Test
    void closedWithoutPayment() throws Exception {
        String id = newOrder(500, 0);
        Map<String, String> closed = Notifications.tradeSuccess(id, "5.00");
        closed.put("trade_status", "TRADE_CLOSED");
        closed.remove("gmt_payment");
        closed.put("gmt_close", "2026-11-25 12:00:00");
        assertAnswer(send(closed), 200, "success");
        assertEquals(2, status(id));
        assertNull(order(id).get("paid_at"));
        assertEquals(0, number(facts(id).get("paid")));
    }

    @Test
    void aPaymentForAnOrderTheMerchantClosedIsALatePaymentAppliedAndFlagged() throws Exception {
        String id = newOrder(600, 2); // closed in the merchant's own table
        assertAnswer(send(Notifications.tradeSuccess(id, "6.00")), 200, "success");
        assertEquals(1, status(id));
        assertTrue(((String) order(id).get("review_note")).contains("paid after the order was closed"),
                (String) order(id).get("review_note"));
        assertEquals(1, number(facts(id).get("needs_attention")));
        assertEquals("LATE_PAYMENT", db.scalar("SELECT outcome FROM alipay_notify WHERE out_trade_no = ?", id));
    }

    @Test
    void anAmountThatDiffersInFenIsFlaggedAndNotPaid() throws Exception {
        String id = newOrder(8_880, 0);
        Map<String, String> p = Notifications.tradeSuccess(id, "88.81");
        assertAnswer(send(p), 409, "failure");
        assertEquals(0, status(id));
        assertNull(order(id).get("alipay_trade_no"));
        assertTrue(((String) order(id).get("review_note")).contains("88.81"));
        assertEquals(0, number(facts(id).get("paid")));
        assertEquals("AMOUNT_MISMATCH", db.scalar("SELECT outcome FROM alipay_notify WHERE notify_id = ?",
                p.get("notify_id")));
        // 88.8 yuan is 8880 fen: equal
        String ok = newOrder(8_880, 0);
        assertAnswer(send(Notifications.tradeSuccess(ok, "88.8")), 200, "success");
    }

    @Test
    void aSecondTradeChangesNothingButTheNote() throws Exception {
        String id = newOrder(700, 0);
        Map<String, String> t1 = Notifications.tradeSuccess(id, "7.00");
        assertAnswer(send(t1), 200, "success");
        Map<String, String> t2 = Notifications.tradeSuccess(id, "7.00");
        assertAnswer(send(t2), 200, "success");
        assertEquals(1, status(id));
        assertEquals(t1.get("trade_no"), order(id).get("alipay_trade_no"));
        assertTrue(((String) order(id).get("review_note")).contains(t2.get("trade_no")));
    }

    @Test
    void anOrderNotInTheMerchantsTableIsKeptAsUnmatched() throws Exception {
        String id = Notifications.uniqueId("legacy-missing-");
        Map<String, String> p = Notifications.tradeSuccess(id, "1.00");
        assertAnswer(send(p), 404, "failure");
        assertEquals(1L, number(db.scalar("SELECT COUNT(*) FROM alipay_notify_unmatched WHERE notify_id = ?",
                p.get("notify_id"))));
        assertNull(facts(id));
    }

    @Test
    void aFailingReactionLeavesBothTablesUntouchedAndAnswersFailureUntilItWorks() throws Exception {
        String id = newOrder(900, 0);
        db.execute("CREATE TRIGGER t_order_guard BEFORE UPDATE ON t_order FOR EACH ROW BEGIN"
                + " IF NEW.order_no = '" + id + "' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'order locked by"
                + " the back office'; END IF; END");
        Map<String, String> p = Notifications.tradeSuccess(id, "9.00");
        try {
            assertAnswer(send(p), 503, "failure");
            assertEquals(0, status(id));
            assertNull(facts(id), "our facts rolled back with the merchant's change");
            assertEquals(0L, number(db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", id)),
                    "no record: the notification was not applied");
        } finally {
            db.execute("DROP TRIGGER t_order_guard");
        }
        assertAnswer(send(p), 200, "success"); // Alipay's redelivery, once the back office lets go
        assertEquals(1, status(id));
        assertEquals("APPLIED", db.scalar("SELECT outcome FROM alipay_notify WHERE out_trade_no = ?", id));
    }

    @Test
    void theSilenceAlarmCountsTheMerchantsOldUnpaidOrdersThroughTheExamplesWaitingStatement() throws Exception {
        String old = newOrder(1_000, 0);
        String oldClosed = newOrder(1_000, 2);
        db.execute("UPDATE t_order SET created_at = NOW() - INTERVAL 45 MINUTE WHERE order_no IN (?, ?)", old,
                oldClosed);
        long expected = ((Number) db.scalar("SELECT COUNT(*) FROM t_order WHERE status = 0"
                + " AND created_at < NOW() - INTERVAL 30 MINUTE")).longValue();
        assertEquals(1, expected, "only this test makes old orders");
        try (WarServer counting = WarServer.start(settings(Map.of()))) {
            assertNull(counting.startupFailure());
            String line = "alipay_notify_orders_waiting_for_payment{app=\"default\"} 1.0";
            long deadline = System.nanoTime() + 15_000_000_000L;
            String metrics;
            do {
                metrics = counting.get("/alipay/metrics").body();
                Thread.sleep(metrics.contains(line) ? 0 : 100);
            } while (!metrics.contains(line) && System.nanoTime() < deadline);
            assertTrue(metrics.contains(line), metrics);
        } finally {
            db.execute("DELETE FROM t_order WHERE order_no IN (?, ?)", old, oldClosed);
        }
    }

    @Test
    void withZeroRowsAsAFailureAReactionThatChangesNothingRefusesTheNotification() throws Exception {
        try (WarServer strict = WarServer.start(settings(Map.of(Settings.ORDER_ON_ZERO_ROWS, "fail")))) {
            assertNull(strict.startupFailure());
            String id = newOrder(300, 1); // paid already, by some other channel: on-paid-sql matches no row
            Map<String, String> p = Notifications.tradeSuccess(id, "3.00");
            HttpResponse<String> r = strict.notify(AlipaySigner.formBody(signer.signed(p)));
            assertAnswer(r, 503, "failure");
            assertNull(facts(id));
            // the default (warn) applies it and logs the reaction that changed nothing
            assertAnswer(send(p), 200, "success");
            assertEquals("TRADE_SUCCESS", facts(id).get("trade_status"));
        }
    }

    @Test
    void everyStartUpRefusalOfTheMappingNamesTheKey() throws Exception {
        for (Map.Entry<String, String> bad : List.of(
                Map.entry(Settings.ORDER_LOOKUP_SQL, "SELECT amount_fen AS total_amount_fen FROM t_order"
                        + " WHERE order_no = :out_trade_no"),
                Map.entry(Settings.ORDER_LOOKUP_SQL, "SELECT amount_fen AS total_amount_fen FROM t_orders"
                        + " WHERE order_no = :out_trade_no FOR UPDATE"),
                Map.entry(Settings.ORDER_LOOKUP_SQL, "SELECT amount_fen FROM t_order WHERE order_no = :out_trade_no"
                        + " FOR UPDATE"),
                Map.entry(Settings.ORDER_ON_PAID_SQL, "UPDATE t_order SET paid = 1 WHERE order_no = :out_trade_no"),
                Map.entry(Settings.ORDER_ON_REFUNDED_SQL, "UPDATE t_order SET refunded_fen = :refund_amount"
                        + " WHERE order_no = :out_trade_no"))) {
            Map<String, String> s = new HashMap<>(settings(Map.of()));
            s.put(bad.getKey(), bad.getValue());
            try (WarServer refused = WarServer.start(s)) {
                Throwable why = refused.startupFailure();
                assertTrue(why != null && why.getMessage().contains("alipay-notify cannot start: " + bad.getKey()),
                        bad + " -> " + why);
            }
        }
    }
}
