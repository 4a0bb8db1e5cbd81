package org.alipaynotify.ops;

import java.io.IOException;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.time.Clock;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.alipaynotify.Text;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.KeySource;

/**
 * What {@code GET /alipay/health} reports: whether notifications can be taken now (the database answers within
 * {@link #DB_TIMEOUT_MS}), the certificate in use, the version, and how this request reached us (to check a proxy's
 * forwarded headers are trusted). The database check runs on one daemon thread of its own so a hung pool cannot hang
 * the health check.
 */
public final class Health implements AutoCloseable {
    public static final String ATTRIBUTE = Health.class.getName();
    static final int DB_TIMEOUT_MS = 2_000;
    public static final String VERSION = readVersion();

    private final DataSource dataSource;
    private final Apps apps;
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
                return c.isValid(DB_TIMEOUT_MS / 1000);
            }
        });
        try {
            if (!probe.get(DB_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                dbError = "connection is not valid";
            }
        } catch (TimeoutException e) {
            probe.cancel(true);
            dbError = "no answer within " + DB_TIMEOUT_MS + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dbError = "interrupted";
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            dbError = Text.printable(cause.getMessage(), 200);
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
            json.append('}');
        }
        json.append("],");
        json.append("\"request\":{");
        field(json, "scheme", scheme).append(',');
        field(json, "remote_addr", remoteAddr).append("}}");
        return new Report(dbError == null, json.toString());
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
