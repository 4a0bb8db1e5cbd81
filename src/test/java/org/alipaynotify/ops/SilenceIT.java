package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The silence alarm's count and its record of the last acknowledgement, against the real database. */
class SilenceIT {
    static final String WEB = "2021000000000011";
    static final String MINI = "2021000000000012";
    static int databases;

    HikariDataSource pool;

    /** A database of its own per test: the counts below are of exactly the rows each test inserts. */
    @BeforeEach
    void freshDatabase() throws Exception {
        String url = TestDatabase.get().createDatabase("silence" + ++databases);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(TestDatabase.get().user());
        c.setPassword(TestDatabase.get().password());
        c.setMaximumPoolSize(2);
        c.setAutoCommit(false); // as our own pool hands them out
        c.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        pool = new HikariDataSource(c);
        try (Connection conn = pool.getConnection()) {
            Migrations.fromClassPath().apply(conn);
        }
    }

    @AfterEach
    void close() {
        pool.close();
    }

    static Apps severalApps() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APPS, "web,mini");
        sys.put("alipay.app.web.app-id", WEB);
        sys.put("alipay.app.web.public-key", SandboxKeys.generate().publicKeyBase64());
        sys.put("alipay.app.mini.app-id", MINI);
        sys.put("alipay.app.mini.public-key", SandboxKeys.generate().publicKeyBase64());
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/unused");
        List<App> apps = new ArrayList<>();
        for (AppSettings a : Settings.load(sys, Map.of()).apps()) {
            apps.add(App.load(a, 0, Clock.systemUTC()));
        }
        return new Apps(apps);
    }

    static Apps oneApp() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, WEB);
        sys.put(Settings.PUBLIC_KEY, SandboxKeys.generate().publicKeyBase64());
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/unused");
        return Apps.of(App.load(Settings.load(sys, Map.of()).apps().get(0), 0, Clock.systemUTC()));
    }

    void order(String id, String appId, String status, Duration age) throws Exception {
        execute("INSERT INTO alipay_order (out_trade_no, total_amount, app_id, trade_status, created_at)"
                + " VALUES (?, 1.00, ?, ?, UTC_TIMESTAMP(3) - INTERVAL ? SECOND)", id, appId, status, age.toSeconds());
    }

    void record(String notifyId, String appId, String outcome, Duration age) throws Exception {
        execute("INSERT INTO alipay_notify (notify_id, out_trade_no, app_id, trade_status, outcome, charset,"
                + " raw_body, received_at) VALUES (?, 'x', ?, 'TRADE_SUCCESS', ?, 'utf-8', 'body',"
                + " UTC_TIMESTAMP(3) - INTERVAL ? SECOND)", notifyId, appId, outcome, age.toSeconds());
    }

    void execute(String sql, Object... args) throws Exception {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
            c.commit();
        }
    }

    void ordersOfEveryKind() throws Exception {
        order("w1", WEB, "WAIT_BUYER_PAY", Duration.ofHours(2));
        order("w2", WEB, "WAIT_BUYER_PAY", Duration.ofMinutes(31));
        order("w3", MINI, "WAIT_BUYER_PAY", Duration.ofDays(2));
        order("n1", null, "WAIT_BUYER_PAY", Duration.ofHours(1)); // names no app
        order("o1", "2021999999999999", "WAIT_BUYER_PAY", Duration.ofHours(1)); // an app not served here
        order("young", WEB, "WAIT_BUYER_PAY", Duration.ofMinutes(29));
        order("paid", WEB, "TRADE_SUCCESS", Duration.ofHours(2));
        order("finished", MINI, "TRADE_FINISHED", Duration.ofHours(2));
        order("closed", MINI, "TRADE_CLOSED", Duration.ofHours(2));
    }

    @Test
    void countsOrdersWaitingLongerThanTheAgeByTheirApp() throws Exception {
        ordersOfEveryKind();
        Silence several = new Silence(pool, severalApps(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        assertTrue(Double.isNaN(several.waiting("web")), "nothing before the first count");
        several.run();
        assertEquals(2.0, several.waiting("web"));
        assertEquals(1.0, several.waiting("mini"));
        assertEquals(2.0, several.waiting("-"), "orders of no app of ours");
        assertEquals(List.of("web", "mini", "-"), several.waitingLabels());
        assertTrue(several.waitingJson().contains("\"by_app\":{\"web\":2,\"mini\":1,\"-\":2}"),
                several.waitingJson());

        Silence single = new Silence(pool, oneApp(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        single.run();
        assertEquals(5.0, single.waiting("default"), "one app: every waiting order is its own");
        assertEquals(List.of("default"), single.waitingLabels());

        Silence hours = new Silence(pool, oneApp(), 24 * 60, false, Clock.systemUTC(), Silence.INTERVAL);
        hours.run();
        assertEquals(1.0, hours.waiting("default"), "older than a day: w3 only");
    }

    @Test
    void theCountReadsOneRangeOfTheIndexNotTheTable() throws Exception {
        for (int i = 0; i < 300; i++) {
            order("bulk-" + i, i % 2 == 0 ? WEB : null, i % 3 == 0 ? "TRADE_SUCCESS" : "WAIT_BUYER_PAY",
                    Duration.ofMinutes(i));
        }
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("EXPLAIN "
                + Silence.WAITING)) {
            ps.setString(1, "2026-01-01 00:00:00.000");
            List<String> plan = new ArrayList<>();
            boolean indexed = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.add(rs.getString("table") + " " + rs.getString("type") + " " + rs.getString("key") + " "
                            + rs.getString("Extra"));
                    if ("alipay_order".equals(rs.getString("table"))) {
                        assertEquals("idx_alipay_order_waiting", rs.getString("key"), plan.toString());
                        assertTrue(rs.getString("Extra").contains("Using index"), "no row read: " + plan);
                        indexed = true;
                    }
                }
            }
            assertTrue(indexed, plan.toString());
        }
    }

    @Test
    void countsAgainOnItsOwnDaemonThreadAtItsInterval() throws Exception {
        ordersOfEveryKind();
        try (Silence s = new Silence(pool, oneApp(), 30, false, Clock.systemUTC(), Duration.ofMillis(200))) {
            s.start();
            awaitWaiting(s, 5.0);
            execute("UPDATE alipay_order SET trade_status = 'TRADE_SUCCESS' WHERE out_trade_no = 'w1'");
            awaitWaiting(s, 4.0);
            Thread runner = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("alipay-notify-silence")).findFirst().orElseThrow();
            assertTrue(runner.isDaemon());
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("alipay-notify-silence")) {
                t.join(1_000); // close() waited for the pool to terminate; the thread itself ends right after
                assertFalse(t.isAlive(), "stopped on close");
            }
        }
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections(), "every connection given back");
    }

    static void awaitWaiting(Silence s, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (s.waiting("default") != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(expected, s.waiting("default"));
    }

    @Test
    void theLastAcknowledgementIsReadFromTheRecordsOnceThenKeptByRequests() throws Exception {
        record("web-applied", WEB, "APPLIED", Duration.ofHours(2));
        record("web-mismatch", WEB, "AMOUNT_MISMATCH", Duration.ofMinutes(10)); // answered failure: not it
        record("mini-no-change", MINI, "NO_CHANGE", Duration.ofDays(3));
        record("mini-older", MINI, "APPLIED", Duration.ofDays(4));
        Silence s = new Silence(pool, severalApps(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        assertNull(s.lastAcknowledged("web"));
        assertEquals(0.0, s.lastAcknowledgedEpochSeconds("web"), "0: none on record");
        s.run();
        assertAbout(Instant.now().minus(Duration.ofHours(2)), s.lastAcknowledged("web"));
        assertAbout(Instant.now().minus(Duration.ofDays(3)), s.lastAcknowledged("mini"));
        assertEquals(s.lastAcknowledged("web").toEpochMilli() / 1000.0, s.lastAcknowledgedEpochSeconds("web"));

        s.acknowledged("web");
        assertAbout(Instant.now(), s.lastAcknowledged("web"));
        assertAbout(Instant.now().minus(Duration.ofDays(3)), s.lastAcknowledged("mini"));
        s.acknowledged("-");
        s.acknowledged("nobody");
        assertEquals(0.0, s.lastAcknowledgedEpochSeconds("-"));

        // read once: a later run does not go back to the records (this one, dated an hour ahead, would show)
        record("web-ahead", WEB, "APPLIED", Duration.ofHours(-1));
        s.run();
        assertAbout(Instant.now(), s.lastAcknowledged("web"));
    }

    @Test
    void oneAppTakesEveryRecordAlsoThoseWithoutAppIdAndNothingOlderThanAWeek() throws Exception {
        record("old", null, "DUPLICATE", Duration.ofDays(6));
        record("ancient", WEB, "APPLIED", Duration.ofDays(8));
        Silence s = new Silence(pool, oneApp(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        s.run();
        assertAbout(Instant.now().minus(Duration.ofDays(6)), s.lastAcknowledged("default"));

        execute("DELETE FROM alipay_notify WHERE notify_id = 'old'");
        Silence fresh = new Silence(pool, oneApp(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        fresh.run();
        assertNull(fresh.lastAcknowledged("default"), "a record older than the look-back is not read");
    }

    @Test
    void aCountThatFailsShowsNothingAndSaysWhyUntilItWorksAgain() throws Exception {
        ordersOfEveryKind();
        Silence s = new Silence(pool, oneApp(), 30, false, Clock.systemUTC(), Silence.INTERVAL);
        s.run();
        assertEquals(5.0, s.waiting("default"));
        execute("RENAME TABLE alipay_order TO alipay_order_away");
        s.run();
        assertTrue(Double.isNaN(s.waiting("default")), "no stale number");
        assertTrue(s.waitingJson().contains("\"by_app\":{\"default\":null}"), s.waitingJson());
        assertTrue(s.waitingJson().contains("\"error\":\"java.sql.SQLSyntaxErrorException: Table"), s.waitingJson());
        execute("RENAME TABLE alipay_order_away TO alipay_order");
        s.run();
        assertEquals(5.0, s.waiting("default"));
        assertFalse(s.waitingJson().contains("\"error\""), s.waitingJson());
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections(), "every connection given back");
    }

    @Test
    void nothingIsCountedWithYourOwnOrderTableNorWithAgeZero() throws Exception {
        execute("RENAME TABLE alipay_order TO alipay_order_away"); // not even looked at
        Silence custom = new Silence(pool, oneApp(), 30, true, Clock.systemUTC(), Silence.INTERVAL);
        custom.run();
        assertFalse(custom.counts());
        assertTrue(Double.isNaN(custom.waiting("default")));
        assertEquals("{\"counted\":false,\"why\":\"order.lookup-sql is set without order.waiting-sql: your orders"
                + " are in your own table, and no statement says which of them wait for payment\"}",
                custom.waitingJson());
        Silence off = new Silence(pool, oneApp(), 0, false, Clock.systemUTC(), Silence.INTERVAL);
        off.run();
        assertFalse(off.counts());
        assertTrue(off.waitingJson().contains("notify.waiting-alert-minutes is 0"), off.waitingJson());
        execute("RENAME TABLE alipay_order_away TO alipay_order");
    }

    @Test
    void yourOwnOrderTableIsCountedThroughYourWaitingStatement() throws Exception {
        execute("CREATE TABLE t_ord (order_no VARCHAR(32) PRIMARY KEY, app VARCHAR(32), status TINYINT,"
                + " created DATETIME)");
        String[][] rows = {
            {"w-old-1", WEB, "0", "40"}, {"w-old-2", WEB, "0", "31"}, {"w-young", WEB, "0", "5"},
            {"w-paid", WEB, "1", "60"}, {"m-old", MINI, "0", "45"}, {"x-old", "2021000000000099", "0", "50"}};
        for (String[] r : rows) {
            execute("INSERT INTO t_ord VALUES ('" + r[0] + "', '" + r[1] + "', " + r[2] + ", UTC_TIMESTAMP()"
                    + " - INTERVAL " + r[3] + " MINUTE)");
        }
        execute("RENAME TABLE alipay_order TO alipay_order_away"); // not looked at with your own table
        String waitingSql = "SELECT order_no AS out_trade_no, app AS app_id, TIMESTAMPDIFF(SECOND, created,"
                + " UTC_TIMESTAMP()) AS age_seconds FROM t_ord WHERE status = 0";
        Silence s = new Silence(pool, severalApps(), 30, true, waitingSql, Clock.systemUTC(), Silence.INTERVAL);
        s.run();
        assertTrue(s.counts());
        assertEquals(2.0, s.waiting("web"));
        assertEquals(1.0, s.waiting("mini"));
        assertEquals(1.0, s.waiting("-"), "an order of no app served here");
        assertTrue(s.waitingJson().contains("\"by_app\":{\"web\":2,\"mini\":1,\"-\":1}"), s.waitingJson());

        // without app_id, one app owns them all
        Silence one = new Silence(pool, oneApp(), 30, true, "SELECT order_no AS out_trade_no, TIMESTAMPDIFF(SECOND,"
                + " created, UTC_TIMESTAMP()) AS age_seconds FROM t_ord WHERE status = 0", Clock.systemUTC(),
                Silence.INTERVAL);
        one.run();
        assertEquals(4.0, one.waiting("default"));
        assertEquals(0, pool.getHikariPoolMXBean().getActiveConnections(), "every connection given back");
        execute("RENAME TABLE alipay_order_away TO alipay_order");
    }

    static void assertAbout(Instant expected, Instant actual) {
        assertTrue(actual != null && Math.abs(Duration.between(expected, actual).toMillis()) < 5_000,
                "expected about " + expected + ", got " + actual);
    }
}
