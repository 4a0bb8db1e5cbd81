package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.EmbeddedLocalRun;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.LogCapture;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What start-up checks before it starts anything, through {@link Bootstrap} itself with the local run's real
 * implementation on the class path (as under jetty:run): a wrong or mistyped setting is said at once, before an
 * embedded database is installed and started.
 */
class StartupChecksTest {
    @TempDir
    Path localDir;

    /** Starts Bootstrap with these system properties (and the real environment); returns what it threw, or null. */
    private static RuntimeException start(Map<String, String> properties) throws Exception {
        Map<String, String> previous = new HashMap<>();
        properties.forEach((k, v) -> previous.put(k, System.setProperty(k, v)));
        Provider bouncyCastle = Security.getProvider("BC");
        try {
            new Bootstrap().contextInitialized(new ServletContextEvent(mock(ServletContext.class)));
            return null;
        } catch (RuntimeException e) {
            return e;
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
            // Bootstrap's release() deregisters the driver and removes the BouncyCastle provider of its class loader,
            // which here is every test's: put them back for the tests that follow in this JVM
            DriverManager.registerDriver(new com.mysql.cj.jdbc.Driver());
            if (bouncyCastle != null && Security.getProvider("BC") == null) {
                Security.addProvider(bouncyCastle);
            }
        }
    }

    private Map<String, String> localRun(String key, String value) throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put(LocalRun.PROPERTY, "true");
        p.put(EmbeddedLocalRun.DIR_PROPERTY, localDir.toString());
        try (ServerSocket s = new ServerSocket(0)) {
            p.put(EmbeddedLocalRun.DB_PORT_PROPERTY, Integer.toString(s.getLocalPort()));
        }
        p.put(key, value);
        return p;
    }

    private List<Path> madeInTheLocalDir() throws Exception {
        try (Stream<Path> files = Files.list(localDir)) {
            return files.toList();
        }
    }

    @Test
    void theLocalRunRefusesAWrongValueBeforeItInstallsOrStartsTheDatabase() throws Exception {
        long started = System.nanoTime();
        RuntimeException e = start(localRun(Settings.SIGN_TYPE, "FOO"));
        long ms = (System.nanoTime() - started) / 1_000_000;

        assertEquals("alipay-notify cannot start: alipay.sign-type (ALIPAY_NOTIFY_SIGN_TYPE) must be RSA2 or RSA,"
                + " got 'FOO'", String.valueOf(e == null ? null : e.getMessage()));
        assertEquals(List.of(), madeInTheLocalDir(), "no database, no sandbox key, nothing written");
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void theLocalRunRefusesAMistypedKeyNamingWhatItMeant() throws Exception {
        RuntimeException e = start(localRun("alipay.signtype", "RSA"));

        assertEquals("alipay-notify cannot start: unknown settings are refused in the local run (a deployed webapp"
                + " only warns): system property alipay.signtype is not a setting of alipay-notify (did you mean"
                + " alipay.sign-type?)", String.valueOf(e == null ? null : e.getMessage()));
        assertEquals(List.of(), madeInTheLocalDir());
    }

    @Test
    void aDeployedWebappWarnsOfAMistypedKeyAndGoesOn() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once closed: start-up goes as far as the database
        }
        Map<String, String> p = new HashMap<>();
        p.put(Settings.APP_ID, "2021000000000001");
        p.put(Settings.PUBLIC_KEY, SandboxKeys.generate().publicKeyBase64());
        p.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1:" + closed + "/pay");
        p.put(Settings.DB_CONNECTION_TIMEOUT_MS, "250");
        p.put("alipay.signtype", "RSA");
        RuntimeException e;
        String log;
        try (LogCapture capture = new LogCapture(Level.WARN)) {
            e = start(p);
            log = capture.text();
        }

        assertTrue(log.contains("WARN  org.alipaynotify.boot.Bootstrap system property alipay.signtype is not a"
                + " setting of alipay-notify (did you mean alipay.sign-type?): ignored"), log);
        String why = String.valueOf(e == null ? null : e.getMessage());
        assertTrue(why.startsWith("alipay-notify cannot start: db.url"), "stopped by the database, not the name: "
                + why);
        assertFalse(why.contains("signtype"), why);
    }
}
