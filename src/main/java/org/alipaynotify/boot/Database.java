package org.alipaynotify.boot;

import com.mysql.cj.jdbc.AbandonedConnectionCleanupThread;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Driver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.alipaynotify.ops.NotifyMetrics;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The connection pool, what it needs of the server, and a clean release of both when the webapp stops. */
public final class Database {
    private static final Logger LOG = LogManager.getLogger(Database.class);
    /** Where a container-managed DataSource is looked for (Tomcat context.xml, Jetty plus/jndi). */
    static final String JNDI_NAME = "java:comp/env/jdbc/alipayNotify";

    /**
     * Connector/J settings for our own pool (BENCHMARKS.md has the before/after figures). Server-side prepared
     * statements, cached per connection, so neither side parses our statements again for each notification and the
     * 1.2 KB body travels as binary instead of escaped text; the cache's SQL length limit (default 256) raised so that
     * our longest statement is cached too. useLocalSessionState: autocommit and isolation are only ever changed
     * through the JDBC API here, so the driver may answer getTransactionIsolation() from what it set, instead of
     * asking the server (a round trip per transaction).
     */
    static final Map<String, String> DRIVER_PROPERTIES = Map.of(
            "useServerPrepStmts", "true",
            "cachePrepStmts", "true",
            "prepStmtCacheSize", "32",
            "prepStmtCacheSqlLimit", "2048",
            "useLocalSessionState", "true");

    /**
     * The same settings on a MariaDB Galera node (wsrep_on=ON), except client-side prepared statements. Found by
     * deploy/test-galera.sh and reproduced on its own ({@code GaleraAbortRepro}, RELIABILITY.md, 15.4): with
     * server-side prepared statements, a transaction aborted by another node's write set (a brute-force abort) was
     * rolled back without the deadlock error reaching the client (MariaDB 10.11.19, galera 26.4.23; the abort
     * apparently landing while the server prepared or closed a statement, commands that cannot carry an error): the
     * statements that followed ran in a new transaction, and COMMIT committed them. A notification's first writes
     * silently gone, the rest committed, and the answer "success". With the text protocol every command carries
     * the error: 0 partial commits in 1,000 rounds of the reproducer, against 2 in 400 (cached) and 135 in 400.
     */
    static final Map<String, String> GALERA_DRIVER_PROPERTIES;

    static {
        Map<String, String> galera = new java.util.HashMap<>(DRIVER_PROPERTIES);
        galera.put("useServerPrepStmts", "false");
        GALERA_DRIVER_PROPERTIES = Map.copyOf(galera);
    }

    private static final int ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

    private Database() {
    }

    /** The container's DataSource, when it offers one at {@link #JNDI_NAME}; otherwise null. */
    static DataSource lookupContainerDataSource() {
        try {
            Object found = new InitialContext().lookup(JNDI_NAME);
            if (found instanceof DataSource ds) {
                return ds;
            }
            LOG.warn("{} is a {}, not a javax.sql.DataSource: ignored", JNDI_NAME, found.getClass().getName());
            return null;
        } catch (NamingException | RuntimeException e) {
            return null; // no JNDI, or nothing bound there: we build our own pool
        }
    }

    public static HikariDataSource open(Settings s) {
        return open(s, null);
    }

    static HikariDataSource open(Settings s, NotifyMetrics metrics) {
        return open(s, metrics, "alipay-notify", s.poolSize(), Map.of());
    }

    /**
     * The refusal journal's own pool: one connection, so that refusal records (which anyone on the internet can
     * cause) never wait for, nor take, a connection a notification needs. Batches are sent as multi-row inserts.
     */
    static HikariDataSource openJournalPool(Settings s, NotifyMetrics metrics) {
        return open(s, metrics, "alipay-notify-refusals", 1, Map.of("rewriteBatchedStatements", "true"));
    }

    /** The event relay's own pool: one connection, so deliveries never take a connection a notification needs. */
    static HikariDataSource openRelayPool(Settings s, NotifyMetrics metrics) {
        return open(s, metrics, "alipay-notify-relay", 1, Map.of());
    }

    private static HikariDataSource open(Settings s, NotifyMetrics metrics, String name, int size,
            Map<String, String> extraDriverProperties) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        String url = s.dbUrl().orElseThrow(() -> new SettingsException(Settings.DB_URL, "is required"));
        // HikariCP logs its jdbcUrl at DEBUG masking only ?password=..., not user:password@ nor (password=...):
        // those are given to it as the password instead, so the URL it holds has none.
        UrlAndPassword split = UrlAndPassword.of(url);
        config.setJdbcUrl(split.url());
        if (metrics != null) {
            metrics.instrument(config);
        }
        // Without the class name Tomcat's class loading fails with "No suitable driver" for a driver in WEB-INF/lib.
        config.setDriverClassName("com.mysql.cj.jdbc.Driver");
        s.dbUser().ifPresent(config::setUsername);
        s.dbPassword().ifPresent(config::setPassword);
        if (split.password() != null) {
            config.setPassword(split.password()); // in the URL it took precedence over db.password too
        }
        config.setMaximumPoolSize(size);
        config.setAutoCommit(false);
        // READ COMMITTED: the order row lock serializes what must be serialized; no gap locks between others.
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setConnectionTimeout(s.connectionTimeoutMs());
        // Set on every new connection alike, so no pooled connection carries a different value.
        config.setConnectionInitSql("SET SESSION innodb_lock_wait_timeout = " + s.lockWaitTimeoutSeconds());
        boolean galera;
        try {
            galera = isGaleraNode(split.url(), config.getUsername(), config.getPassword(), s.connectionTimeoutMs());
        } catch (SQLException | RuntimeException unreachable) {
            // The pool's own start-up below reports it, as it always did. Should the server answer the pool after
            // all, and be a Galera node, the start-up check (requireSafeStatementsOnGalera) refuses to go on.
            galera = false;
        }
        (galera ? GALERA_DRIVER_PROPERTIES : DRIVER_PROPERTIES).forEach(config::addDataSourceProperty);
        extraDriverProperties.forEach(config::addDataSourceProperty);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new SettingsException(Settings.DB_URL, "'" + Text.maskSecrets(url) + "' cannot be used: "
                    + Text.printable(root.getMessage(), 300), e);
        }
    }

    /** A JDBC URL without the password it may carry in its user information or a host's (password=...). */
    record UrlAndPassword(String url, String password) {
        private static final Pattern USER_INFO = Pattern.compile("^(jdbc:mysql[^/]*//[^/@:()\\s]*):([^/\\s]*)@");
        /** address=(...)(password=x), or key-value hosts (host=...,password=x) and (password=x,host=...). */
        private static final Pattern HOST_PASSWORD = Pattern.compile(
                "\\(password=([^),]*)\\)|(?<=\\()password=([^,)]*),|,password=([^,)]*)");

        static UrlAndPassword of(String url) {
            String password = null;
            Matcher m = USER_INFO.matcher(url);
            if (m.find()) {
                password = URLDecoder.decode(m.group(2).replace("+", "%2B"), StandardCharsets.UTF_8);
                url = m.group(1) + "@" + url.substring(m.end());
            }
            m = HOST_PASSWORD.matcher(url);
            StringBuilder rest = new StringBuilder();
            while (m.find()) {
                String value = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                password = URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
                m.appendReplacement(rest, "");
            }
            m.appendTail(rest);
            return new UrlAndPassword(rest.toString(), password);
        }
    }

    /**
     * With the binary log on in STATEMENT format, InnoDB refuses every write under READ COMMITTED (error 1665) while
     * the server otherwise looks healthy: every notification would fail. Read on a pooled session, since a session
     * may differ from the server's default.
     */
    static void requireWritableBinlogFormat(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT @@log_bin, @@binlog_format")) {
            rs.next();
            boolean logBin = rs.getInt(1) != 0;
            String format = rs.getString(2);
            if (logBin && "STATEMENT".equalsIgnoreCase(format)) {
                throw new CannotStart("the database server writes its binary log with binlog_format=STATEMENT"
                        + " (log_bin=ON), in which InnoDB refuses every write under READ COMMITTED (error 1665):"
                        + " set binlog_format=ROW on the server (MIXED also works), e.g. binlog_format=ROW under"
                        + " [mysqld] in its configuration file, or SET GLOBAL binlog_format=ROW, then start again");
            }
        }
    }

    /**
     * Asks the server, on a connection of its own made the way the pool will make them, whether it is a Galera node
     * with replication on: then the pool gets {@link #GALERA_DRIVER_PROPERTIES}.
     */
    private static boolean isGaleraNode(String url, String user, String password, int timeoutMs)
            throws SQLException {
        java.util.Properties p = new java.util.Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", Integer.toString(timeoutMs));
        // the driver itself, not DriverManager: a driver in WEB-INF/lib is not "suitable" to DriverManager on Tomcat
        try (Connection c = new com.mysql.cj.jdbc.Driver().connect(url, p)) {
            if (c == null) {
                throw new SQLException("not a jdbc:mysql: URL");
            }
            return galera(c);
        }
    }

    /** Whether the server is a Galera node with replication on (wsrep_on); false for MySQL and plain MariaDB. */
    static boolean galera(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@wsrep_on")) {
            return rs.next() && rs.getInt(1) == 1;
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_UNKNOWN_SYSTEM_VARIABLE) {
                return false; // MySQL, or a MariaDB built without wsrep
            }
            throw e;
        }
    }

    /**
     * On a Galera node, refuses connections that use server-side prepared statements (see
     * {@link #GALERA_DRIVER_PROPERTIES}): our own pool never does there; a container's DataSource may
     * ({@code deploy/tomcat/context.xml} turns them on for a single server). Logs what it found.
     */
    static void requireSafeStatementsOnGalera(Connection c) throws SQLException {
        if (!galera(c)) {
            return;
        }
        Boolean serverSide = null;
        try {
            serverSide = c.unwrap(com.mysql.cj.jdbc.JdbcConnection.class).getPropertySet()
                    .getBooleanProperty(com.mysql.cj.conf.PropertyKey.useServerPrepStmts).getValue();
        } catch (SQLException | RuntimeException notConnectorJ) {
            LOG.warn("The database is a Galera node (wsrep_on=ON) and the driver is not MySQL Connector/J: make sure"
                    + " it does not use server-side prepared statements (SCALING.md, \"Galera\")");
            return;
        }
        if (Boolean.TRUE.equals(serverSide)) {
            throw new CannotStart("the database is a Galera node (wsrep_on=ON) and the connections use server-side"
                    + " prepared statements (useServerPrepStmts=true): MariaDB can then lose the deadlock error of a"
                    + " transaction that another node's write set aborted and commit the rest of it, so a"
                    + " notification would be answered success with part of its change missing. A container's"
                    + " DataSource: set useServerPrepStmts=false on it (deploy/tomcat/context.xml: dataSource."
                    + "useServerPrepStmts). The webapp's own pool: the server did not answer when the pool was"
                    + " built; start again (SCALING.md, \"Galera\")");
        }
        LOG.info("The database is a Galera node (wsrep_on=ON): client-side prepared statements, conflicts with"
                + " other nodes answered 503 and redelivered (SCALING.md, \"Galera\")");
    }

    /** Closes a pool and nothing else. */
    static void closePool(HikariDataSource ds) {
        if (ds != null) {
            ds.close();
        }
    }

    /**
     * Closes the pool, then releases what Connector/J keeps JVM-wide (its driver registration and its cleanup
     * thread), which would otherwise pin this webapp's class loader after an undeploy.
     */
    public static void close(HikariDataSource ds) {
        closePool(ds);
        ClassLoader ours = Database.class.getClassLoader();
        for (Driver d : Collections.list(DriverManager.getDrivers())) {
            if (d.getClass().getClassLoader() == ours) {
                try {
                    DriverManager.deregisterDriver(d);
                } catch (SQLException e) {
                    LOG.warn("Could not deregister JDBC driver {}: {}", d, e.toString());
                }
            }
        }
        // Always: a guard on "did our driver register?" missed a redeploy in Tomcat 11 (the deployment test's leak
        // check caught the thread left running).
        AbandonedConnectionCleanupThread.checkedShutdown();
    }
}
