package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.Security;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A db.url may carry the password (user:password@host, or ?password=): start-up against a port where nothing listens
 * fails, and no line logged by anyone (ours, HikariCP's configuration dump at DEBUG, the driver), nor the stack traces
 * nor standard output and error, holds the secret.
 */
class SecretsInLogsTest {
    static final String SECRET = "S3cret-Ab9";

    /** Every event at every level, with its exception's stack trace. */
    static final class Capture extends AbstractAppender {
        final List<String> lines = new ArrayList<>();

        Capture() {
            super("capture", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public synchronized void append(LogEvent event) {
            StringBuilder line = new StringBuilder(event.getLevel() + " " + event.getLoggerName() + " "
                    + event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                StringWriter trace = new StringWriter();
                event.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace);
            }
            lines.add(line.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdbc:mysql://alice:" + SECRET + "@127.0.0.1:PORT/pay",
            "jdbc:mysql://127.0.0.1:PORT/pay?user=alice&password=" + SECRET + "&connectTimeout=2000",
            "jdbc:mysql://address=(host=127.0.0.1)(port=PORT)(user=alice)(password=" + SECRET + ")/pay"})
    void noLogLineHoldsThePasswordOfTheDatabaseUrl(String url) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.PUBLIC_KEY, SandboxKeys.generate().publicKeyBase64());
        sys.put(Settings.DB_URL, url.replace("PORT", Integer.toString(port)));
        sys.put(Settings.DB_PASSWORD, SECRET + "-setting");
        sys.put(Settings.DB_CONNECTION_TIMEOUT_MS, "250");

        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        Level level = root.getLevel();
        Capture capture = new Capture();
        capture.start();
        root.addAppender(capture, Level.ALL, null);
        root.setLevel(Level.ALL);
        context.updateLoggers();
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Map<String, String> previous = new HashMap<>();
        sys.forEach((k, v) -> previous.put(k, System.setProperty(k, v)));
        Provider bouncyCastle = Security.getProvider("BC");
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
            ServletContextEvent event = new ServletContextEvent(mock(ServletContext.class));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new Bootstrap().contextInitialized(event));
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            capture.lines.add("thrown to the container: " + trace);
        } finally {
            System.setOut(out);
            System.setErr(err);
            previous.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
            root.removeAppender("capture");
            root.setLevel(level);
            context.updateLoggers();
            // Bootstrap's release() deregisters the driver and removes the BouncyCastle provider of its class loader,
            // which here is every test's: put them back for the tests that follow in this JVM
            DriverManager.registerDriver(new com.mysql.cj.jdbc.Driver());
            if (bouncyCastle != null && Security.getProvider("BC") == null) {
                Security.addProvider(bouncyCastle);
            }
        }
        String all = String.join("\n", capture.lines) + "\n" + console.toString(StandardCharsets.UTF_8);
        assertTrue(all.contains("alipay-notify cannot start: db.url (ALIPAY_NOTIFY_DB_URL) '"), all);
        assertTrue(all.contains("com.zaxxer.hikari.HikariConfig"), "HikariCP's DEBUG lines were captured: " + all);
        assertFalse(all.contains(SECRET), all);
    }
}
