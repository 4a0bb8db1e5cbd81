package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The silence alarm over real HTTP: the built WAR in Jetty on a database of its own, its gauges on /alipay/metrics and
 * its facts on /alipay/health, as Prometheus and an operator see them.
 */
class SilenceAlarmIT {
    static final Pattern LAST = Pattern.compile(
            "alipay_notify_last_acknowledged_timestamp_seconds\\{app=\"default\"} ([0-9.E]+)");

    @TempDir
    java.nio.file.Path dir;

    String url;

    void execute(String sql, Object... args) throws Exception {
        TestDatabase db = TestDatabase.get();
        try (Connection c = DriverManager.getConnection(url, db.user(), db.password());
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }

    static double lastAcknowledged(String metrics) {
        Matcher m = LAST.matcher(metrics);
        assertTrue(m.find(), metrics);
        return Double.parseDouble(m.group(1));
    }

    /** The first count runs as the webapp starts, on its own thread: wait for it, as a scrape a moment later would. */
    static String awaitMetrics(WarServer server, String expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String text;
        do {
            text = server.get("/alipay/metrics").body();
            if (text.contains(expected)) {
                return text;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no '" + expected + "' in:\n" + text);
    }

    @Test
    void metricsAndHealthShowTheLastAcknowledgementAndTheOrdersWaiting() throws Exception {
        TestDatabase db = TestDatabase.get();
        url = db.createDatabase("silence_http");
        try (Connection c = DriverManager.getConnection(url, db.user(), db.password())) {
            Migrations.fromClassPath().apply(c);
        }
        for (String id : new String[] {"wait-1", "wait-2", "wait-3"}) {
            execute("INSERT INTO alipay_order (out_trade_no, total_amount, created_at)"
                    + " VALUES (?, 5.00, UTC_TIMESTAMP(3) - INTERVAL 2 HOUR)", id);
        }
        execute("INSERT INTO alipay_order (out_trade_no, total_amount) VALUES ('just-created', 5.00)");
        execute("INSERT INTO alipay_order (out_trade_no, total_amount, trade_status, created_at)"
                + " VALUES ('paid-earlier', 5.00, 'TRADE_SUCCESS', UTC_TIMESTAMP(3) - INTERVAL 2 HOUR)");
        // what an earlier run of the webapp acknowledged three hours ago
        execute("INSERT INTO alipay_notify (notify_id, out_trade_no, app_id, trade_status, outcome, charset, raw_body,"
                + " received_at) VALUES ('earlier', 'paid-earlier', ?, 'TRADE_SUCCESS', 'APPLIED', 'utf-8', 'body',"
                + " UTC_TIMESTAMP(3) - INTERVAL 3 HOUR)", Notifications.APP_ID);
        double threeHoursAgo = Instant.now().minus(Duration.ofHours(3)).getEpochSecond();

        SandboxKeys keys = SandboxKeys.generate();
        Map<String, String> settings = db.webappSettings(keys.writeCertificate(dir.resolve("alipay.crt")));
        settings.put(Settings.DB_URL, url);
        settings.put(Settings.WAITING_ALERT_MINUTES, "30");
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        double paidAt;
        try (WarServer server = WarServer.start(settings)) {
            String metrics = awaitMetrics(server, "alipay_notify_orders_waiting_for_payment{app=\"default\"} 3.0");
            assertEquals(threeHoursAgo, lastAcknowledged(metrics), 5, metrics);
            String health = server.get("/alipay/health").body();
            assertTrue(health.matches(".*\"seconds_since_last_acknowledged\":10[78][0-9][0-9].*"), health);
            assertTrue(health.contains("\"waiting_orders\":{\"counted\":true,\"older_than_minutes\":30,"), health);
            assertTrue(health.contains("\"by_app\":{\"default\":3}"), health);

            // refused requests are not acknowledgements
            assertEquals("failure", server.notify(AlipaySigner.formBody(new AlipaySigner(SandboxKeys.generate()
                    .keyPair().getPrivate()).signed(Notifications.tradeSuccess("wait-1", "5.00")))).body());
            assertEquals("failure", server.notify("a=%zz".getBytes()).body());
            assertEquals(threeHoursAgo, lastAcknowledged(server.get("/alipay/metrics").body()), 5);

            assertEquals("success", server.notify(AlipaySigner.formBody(signer.signed(
                    Notifications.tradeSuccess("wait-1", "5.00")))).body());
            paidAt = Instant.now().toEpochMilli() / 1000.0;
            assertEquals(paidAt, lastAcknowledged(server.get("/alipay/metrics").body()), 5);
            health = server.get("/alipay/health").body();
            assertTrue(health.matches(".*\"seconds_since_last_acknowledged\":[0-4][,}].*"), health);
            Matcher at = Pattern.compile("\"last_acknowledged\":\"([^\"]+)\"").matcher(health);
            assertTrue(at.find(), health);
            assertEquals(paidAt, Instant.parse(at.group(1)).toEpochMilli() / 1000.0, 5, health);
        }

        // With your own order table nothing is counted; the last acknowledgement still comes from the records.
        settings.put(Settings.ORDER_LOOKUP_SQL, "SELECT out_trade_no, total_amount FROM alipay_order"
                + " WHERE out_trade_no = :out_trade_no FOR UPDATE");
        try (WarServer server = WarServer.start(settings)) {
            assertEquals(null, server.startupFailure());
            String metrics = server.get("/alipay/metrics").body();
            assertFalse(metrics.contains("alipay_notify_orders_waiting_for_payment"), metrics);
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (lastAcknowledged(metrics) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                metrics = server.get("/alipay/metrics").body();
            }
            assertEquals(paidAt, lastAcknowledged(metrics), 5, "read back from alipay_notify after a restart");
            String health = server.get("/alipay/health").body();
            assertTrue(health.contains("\"waiting_orders\":{\"counted\":false,\"why\":\"order.lookup-sql is set"),
                    health);
        }
    }

    @Test
    void aWaitingAgeTooShortToMeanAnythingStopsTheStartNamingTheKey() throws Exception {
        Map<String, String> settings = TestDatabase.get().webappSettings(SandboxKeys.generate()
                .writeCertificate(dir.resolve("alipay.crt")));
        settings.put(Settings.WAITING_ALERT_MINUTES, "3");
        try (WarServer server = WarServer.start(settings)) {
            Throwable failure = server.startupFailure();
            assertNotNull(failure);
            StringBuilder messages = new StringBuilder();
            for (Throwable t = failure; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append('\n');
            }
            assertTrue(messages.toString().contains("alipay-notify cannot start:"
                    + " notify.waiting-alert-minutes (ALIPAY_NOTIFY_WAITING_ALERT_MINUTES) must be 0 (no count) or"
                    + " between 5 and 10080"), messages.toString());
        }
    }
}
