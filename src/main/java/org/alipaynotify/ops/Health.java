package org.alipaynotify.ops;

import java.io.IOException;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.alipaynotify.Json;
import org.alipaynotify.Text;
import org.alipaynotify.events.Relay;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.KeySource;

/**
 * What {@code GET /alipay/health} reports: whether notifications can be taken now (the database takes a write within
 * {@link #DB_TIMEOUT_MS}), the certificate in use, the version, and how this request reached us (to check a proxy's
 * forwarded headers are trusted). The database check runs on one daemon thread of its own so a hung pool cannot hang
 * the health check.
 */
public final class Health implements AutoCloseable {
    public static final String ATTRIBUTE = Health.class.getName();
    static final int DB_TIMEOUT_MS = 2_000;
    public static final String VERSION = readVersion();
    /**
     * A connection that answers is not enough: a read-only server, or a binary log in STATEMENT format under READ
     * COMMITTED (error 1665), refuses every write while SELECT 1 works. So the probe writes one row into a table of
     * ours, in a transaction shaped like the ledger's, and rolls it back. The key is negative (migrations are
     * positive) and per connection, so probes never wait for each other; nothing is committed, so nothing replicates.
     */
    static final String WRITE_PROBE = "INSERT INTO alipay_notify_schema_history (version, description, script,"
            + " status, started_at, applied_by) VALUES (-1 - CAST(CONNECTION_ID() MOD 2000000000 AS SIGNED),"
            + " 'health check', '-', 'health', UTC_TIMESTAMP(3), 'health check, rolled back')";

    private final DataSource dataSource;
    private final Apps apps;
    private volatile Relay relay;
    private volatile Silence silence;
    private final Clock clock;
    private final ExecutorService checker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "alipay-notify-health");
        t.setDaemon(true);
        return t;
    });

    public Health(DataSource dataSource, Apps apps, Clock clock) {
        this.dataSource = dataSource;
        this.apps = apps;
        this.clock = clock;
    }

    /** The report; {@code up} decides 200 or 503. */
    public record Report(boolean up, String json) {
    }

    public Report check(String scheme, String remoteAddr) {
        long started = System.nanoTime();
        String dbError = null;
        Future<Boolean> probe = checker.submit(() -> {
            try (Connection c = dataSource.getConnection()) {
                return writeAndRollBack(c);
            }
        });
        try {
            probe.get(DB_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            probe.cancel(true);
            dbError = "no answer within " + DB_TIMEOUT_MS + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dbError = "interrupted";
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            dbError = cause instanceof SQLException s && s.getErrorCode() != 0
                    ? Text.printable("error " + s.getErrorCode() + ": " + s.getMessage(), 300)
                    : Text.printable(cause.getMessage(), 200);
        }
        long dbMs = (System.nanoTime() - started) / 1_000_000;
        StringBuilder json = new StringBuilder(512).append('{');
        field(json, "status", dbError == null ? "UP" : "DOWN").append(',');
        field(json, "version", VERSION).append(',');
        json.append("\"database\":{\"reachable\":").append(dbError == null).append(",\"checked_ms\":").append(dbMs);
        if (dbError != null) {
            json.append(',');
            field(json, "error", dbError);
        }
        json.append("},");
        if (apps.single() != null) {
            // one app: its key at the top level too, where monitors of earlier versions look for it
            key(json, apps.single());
            json.append(',');
        }
        json.append("\"apps\":[");
        for (App app : apps.all()) {
            json.append(app == apps.all().get(0) ? "{" : ",{");
            field(json, "name", app.name()).append(',');
            field(json, "app_id", app.appId()).append(',');
            key(json, app);
            silenceOf(json, app);
            json.append('}');
        }
        json.append("],");
        json.append("\"events\":").append(eventsJson()).append(',');
        Silence s = silence;
        if (s != null) {
            json.append("\"waiting_orders\":").append(s.waitingJson()).append(',');
        }
        json.append("\"request\":{");
        field(json, "scheme", scheme).append(',');
        field(json, "remote_addr", remoteAddr).append("}}");
        return new Report(dbError == null, json.toString());
    }

    /** The event relay whose backlog the report shows; null when it is off. */
    public void events(Relay r) {
        this.relay = r;
    }

    /** The silence alarm whose facts the report shows per app. */
    public void silence(Silence s) {
        this.silence = s;
    }

    /** ,"last_acknowledged":"...Z","seconds_since_last_acknowledged":N (null and null when none is on record). */
    private void silenceOf(StringBuilder json, App app) {
        Silence s = silence;
        if (s == null) {
            return;
        }
        java.time.Instant last = s.lastAcknowledged(app.name());
        json.append(",\"last_acknowledged\":").append(last == null ? "null" : "\"" + last + "\"")
                .append(",\"seconds_since_last_acknowledged\":")
                .append(last == null ? "null" : Long.toString(java.time.Duration.between(last, clock.instant())
                        .toSeconds()));
    }

    private String eventsJson() {
        Relay r = relay;
        if (r == null) {
            return Json.object().string("relay", "off").toString();
        }
        java.net.URI t = r.target();
        return Json.object().string("relay", "on")
                .string("target", t.getScheme() + "://" + t.getHost() + (t.getPort() < 0 ? "" : ":" + t.getPort())
                        + (t.getRawPath() == null ? "" : t.getRawPath()))
                .number("pending", r.pending()).number("parked", r.dead())
                .number("oldest_undelivered_seconds", Math.round(r.oldestUndeliveredSeconds()))
                .string("last_error", r.lastError()).toString();
    }

    /** {@code "certificate":{...}} or {@code "public_key":{...}} of the key the app uses now. */
    private void key(StringBuilder json, App app) {
        AlipayKey key = app.key();
        KeySource source = app.keySource();
        String reloadError = source == null ? null : source.reloadError();
        if (key.certificate().isPresent()) {
            X509Certificate cert = key.certificate().get();
            json.append("\"certificate\":{");
            field(json, "path", key.origin().map(Object::toString).orElse("")).append(',');
            field(json, "subject", cert.getSubjectX500Principal().getName()).append(',');
            field(json, "serial", cert.getSerialNumber().toString(16)).append(',');
            field(json, "not_after", cert.getNotAfter().toInstant().toString()).append(',');
            json.append("\"days_until_expiry\":").append(key.daysUntilExpiry(clock).orElseThrow());
        } else {
            json.append("\"public_key\":{");
            field(json, "id", key.id());
        }
        if (reloadError != null) {
            json.append(',');
            field(json, "reload_error", reloadError);
        }
        json.append('}');
    }

    private static boolean writeAndRollBack(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        int isolation = c.getTransactionIsolation();
        try {
            if (autoCommit) {
                c.setAutoCommit(false);
            }
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(DB_TIMEOUT_MS / 1000);
                st.executeUpdate(WRITE_PROBE);
            } finally {
                c.rollback();
            }
        } finally {
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(isolation);
            }
            if (autoCommit) {
                c.setAutoCommit(true);
            }
        }
        return true;
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"');
    }

    private static String readVersion() {
        try (InputStream in = Health.class.getResourceAsStream("/alipay-notify-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
