package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.EventReceiver;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health, metrics, certificate rotation and a clean undeploy, on the built WAR in Jetty 12. */
class OperationsIT {
    @TempDir
    Path dir;

    Map<String, String> settings(Path cert) {
        Map<String, String> s = TestDatabase.get().webappSettings(cert);
        s.put(Settings.CERT_RELOAD_SECONDS, "1");
        return s;
    }

    static String newOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("ops-");
        TestDatabase.get().insertOrder(id, amount);
        return id;
    }

    static String pay(WarServer server, SandboxKeys keys, String amount) throws Exception {
        String id = newOrder(amount);
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        return server.notify(AlipaySigner.formBody(signer.signed(Notifications.tradeSuccess(id, amount)))).body();
    }

    static String serialIn(String healthJson) {
        Matcher m = Pattern.compile("\"serial\":\"([0-9a-f]+)\"").matcher(healthJson);
        assertTrue(m.find(), healthJson);
        return m.group(1);
    }

    @Test
    void healthReportsDatabaseCertificateVersionAndHowTheRequestArrived() throws Exception {
        SandboxKeys keys = SandboxKeys.generate();
        try (WarServer server = WarServer.start(settings(keys.writeCertificate(dir.resolve("alipay.crt"))))) {
            HttpResponse<String> r = server.get("/alipay/health");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            String json = r.body();
            assertTrue(json.contains("\"status\":\"UP\""), json);
            assertTrue(json.contains("\"reachable\":true"), json);
            assertEquals(keys.certificate().getSerialNumber().toString(16), serialIn(json));
            assertTrue(json.matches(".*\"days_until_expiry\":36[34].*"), json);
            assertTrue(json.contains("\"version\":\"0.1.0-SNAPSHOT\""), json);
            assertTrue(json.contains("\"request\":{\"scheme\":\"http\",\"remote_addr\":\"127.0.0.1\"}"), json);
        }
    }

    @Test
    void metricsCountOutcomesAndExposePoolAndCertificateGaugesInPrometheusAndJmx() throws Exception {
        SandboxKeys keys = SandboxKeys.generate();
        try (WarServer server = WarServer.start(settings(keys.writeCertificate(dir.resolve("alipay.crt"))))) {
            assertEquals("success", pay(server, keys, "12.00"));
            assertEquals("failure", pay(server, SandboxKeys.generate(), "12.00")); // another key: bad signature
            assertEquals("failure", server.notify("a=%zz".getBytes()).body());
            String text = server.get("/alipay/metrics").body();
            assertTrue(text.contains("alipay_notify_notifications_total{app=\"default\",category=\"accepted\","
                    + "outcome=\"APPLIED\"} 1.0"), text);
            assertTrue(text.contains("alipay_notify_notifications_total{app=\"default\",category=\"bad_signature\","
                    + "outcome=\"BAD_SIGNATURE\"} 1.0"), text);
            // a body that did not parse named no app
            assertTrue(text.contains("alipay_notify_notifications_total{app=\"-\",category=\"refused_input\","
                    + "outcome=\"MALFORMED_BODY\"} 1.0"), text);
            assertTrue(text.contains("alipay_notify_request_duration_seconds_bucket{app=\"default\","
                    + "category=\"accepted\""), text);
            // Each request counts in the steps it reached: the malformed body stops at parse, the forgery at verify.
            assertEquals("3", stepCount(text, "parse"));
            assertEquals("2", stepCount(text, "verify"));
            assertEquals("1", stepCount(text, "check"));
            assertEquals("1", stepCount(text, "database"));
            assertTrue(text.contains("alipay_notify_certificate_days_until_expiry{app=\"default\"} 36"), text);
            assertTrue(text.contains("hikaricp_connections_active{pool=\"alipay-notify\"}"), text);
            assertFalse(ManagementFactory.getPlatformMBeanServer()
                    .queryNames(new ObjectName("alipay_notify:*"), null).isEmpty(), "meters over JMX");
        }
    }

    private static String stepCount(String prometheus, String step) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "alipay_notify_step_duration_seconds_count\\{step=\"" + step + "\"} (\\d+)(\\.0)?\n").matcher(prometheus);
        assertTrue(m.find(), prometheus);
        return m.group(1);
    }

    @Test
    void aReplacedCertificateIsTakenUpAndABadReplacementKeepsTheOldOne() throws Exception {
        SandboxKeys first = SandboxKeys.generate();
        SandboxKeys second = SandboxKeys.generate();
        Path cert = first.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt"));
        try (WarServer server = WarServer.start(settings(cert))) {
            assertEquals("success", pay(server, first, "1.00"));
            assertEquals("failure", pay(server, second, "1.00"));

            second.writeCertificate(dir.resolve("new.crt"));
            Files.move(dir.resolve("new.crt"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(1_100); // alipay.cert-reload-seconds=1
            assertEquals("success", pay(server, second, "1.00"), "the new certificate is in use");
            assertEquals(second.certificate().getSerialNumber().toString(16),
                    serialIn(server.get("/alipay/health").body()));

            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
            Thread.sleep(1_100);
            String health = server.get("/alipay/health").body();
            assertTrue(health.contains("\"reload_error\":\"alipay.cert-path"), health);
            assertEquals(second.certificate().getSerialNumber().toString(16), serialIn(health));
            assertEquals("success", pay(server, second, "1.00"), "the previous good certificate still verifies");
        }
    }

    @Test
    void aContainerDataSourceInJndiIsUsedAndDbUrlIsThenNotRequired() throws Exception {
        TestDatabase db = TestDatabase.get();
        SandboxKeys keys = SandboxKeys.generate();
        Map<String, String> s = settings(keys.writeCertificate(dir.resolve("alipay.crt")));
        s.remove(Settings.DB_URL);
        s.remove(Settings.DB_USER);
        s.remove(Settings.DB_PASSWORD);
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(db.url());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setPoolName("container-pool");
        config.setMaximumPoolSize(4); // autocommit left on, as containers usually do: the ledger turns it off
        try (com.zaxxer.hikari.HikariDataSource containerPool = new com.zaxxer.hikari.HikariDataSource(config);
                WarServer server = WarServer.start(s, containerPool)) {
            assertNull(server.startupFailure());
            String id = newOrder("8.00");
            AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
            assertEquals("success", server.notify(AlipaySigner.formBody(signer.signed(
                    Notifications.tradeSuccess(id, "8.00")))).body());
            assertEquals("TRADE_SUCCESS", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
            assertTrue(containerPool.getHikariPoolMXBean().getTotalConnections() > 0, "the container's pool served");
            assertEquals(200, server.get("/alipay/health").statusCode());
            assertFalse(server.get("/alipay/metrics").body().contains("pool=\"alipay-notify\""),
                    "no pool of our own was built");
        }
    }

    /** In a method of its own, so that no local variable of the test keeps the webapp reachable. */
    private WeakReference<ClassLoader> deployUseAndUndeploy() throws Exception {
        SandboxKeys keys = SandboxKeys.generate();
        Map<String, String> s = settings(keys.writeCertificate(dir.resolve("alipay.crt")));
        // the event relay on too, with an event delivered: its thread and connections must go with the webapp
        byte[] secret = "leak-test-secret-0123456789abcdef0123".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (EventReceiver receiver = new EventReceiver(secret)) {
            s.put(Settings.EVENTS_FORWARD_URL, receiver.uri().toString());
            s.put(Settings.EVENTS_SECRET, new String(secret, java.nio.charset.StandardCharsets.UTF_8));
            return deployUseAndUndeploy(s, keys, receiver);
        }
    }

    private WeakReference<ClassLoader> deployUseAndUndeploy(Map<String, String> s, SandboxKeys keys,
            EventReceiver receiver) throws Exception {
        try (WarServer server = WarServer.start(s)) {
            assertEquals("success", pay(server, keys, "3.00")); // the SDK registers BouncyCastle on first use
            assertTrue(receiver.await(1, java.time.Duration.ofSeconds(10)).size() >= 1, "the PAID event arrived");
            assertEquals(200, server.get("/alipay/health").statusCode());
            assertTrue(server.get("/alipay/metrics").body().contains("alipay_notify"));
            Provider bc = Security.getProvider("BC");
            assertTrue(bc != null && bc.getClass().getClassLoader() == server.webappClassLoader(),
                    "BC registered by the webapp");
            return new WeakReference<>(server.webappClassLoader());
        }
    }

    @Test
    void undeployingReleasesTheWebappsThreadsProviderMBeansAndClassLoader() throws Exception {
        // Another copy of the SDK on the test class path may have registered BC already; set it aside so that this
        // webapp's SDK registers its own, as it does in a container.
        Provider foreign = Security.getProvider("BC");
        Security.removeProvider("BC");
        WeakReference<ClassLoader> loader = deployUseAndUndeploy();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertNotEquals(loader.get(), t.getContextClassLoader(), "thread left behind: " + t.getName());
            assertFalse(t.getName().startsWith("alipay-notify"), "thread left behind: " + t.getName());
        }
        Provider bc = Security.getProvider("BC");
        assertTrue(bc == null || bc.getClass().getClassLoader() != loader.get(), "BouncyCastle left registered");
        if (foreign != null && bc == null) {
            Security.addProvider(foreign);
        }
        assertTrue(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("alipay_notify:*"), null)
                .isEmpty(), "MBeans left registered");
        for (int i = 0; i < 20 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(100);
        }
        assertNull(loader.get(), "the webapp's class loader is still reachable after undeploy");
    }
}
