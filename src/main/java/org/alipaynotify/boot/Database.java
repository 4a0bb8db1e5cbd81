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
        DRIVER_PROPERTIES.forEach(config::addDataSourceProperty);
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
