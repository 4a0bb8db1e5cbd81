package org.alipaynotify.ops;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.alipaynotify.Jdbc;
import org.alipaynotify.Json;
import org.alipaynotify.Outcome;
import org.alipaynotify.Text;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The silence alarm's facts, per app: when a notification was last acknowledged, and how many orders have waited for
 * payment longer than {@code notify.waiting-alert-minutes}. A notification that never arrives (an unreachable
 * notify_url, a filter in front, an endpoint down for a day) fails nothing here: it is quiet, so the quiet is what is
 * measured, and Prometheus alerts on it (deploy/prometheus/alipay-notify-rules.yml).
 *
 * <p>The acknowledgement time is kept in memory, set by the request that was acknowledged, and read from
 * alipay_notify once at start-up so a restart does not hide a silence that began before it. The count is one query on
 * an index of alipay_order (V6), run on one daemon thread every {@link #INTERVAL}, never on a request thread; each run
 * borrows a pooled connection for that one statement (bounded by {@link #QUERY_TIMEOUT_SECONDS}) and gives it back, as
 * the retention purge does. With {@code order.lookup-sql} the merchant's orders are in their own table, whose
 * vocabulary we do not know: they are counted through the merchant's {@code order.waiting-sql} (the active query's
 * list of waiting orders, with their age), rows read in Java up to the same limit; without it nothing is counted.
 */
public final class Silence implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Silence.class);
    public static final Duration INTERVAL = Duration.ofMinutes(1);
    /** Counting stops here, so millions of abandoned orders still cost one bounded range of the index. */
    static final int COUNT_LIMIT = 100_000;
    /** How far back start-up looks for the last acknowledged notification (a range of the received_at index). */
    static final Duration SEED_LOOKBACK = Duration.ofDays(7);
    static final int QUERY_TIMEOUT_SECONDS = 5;
    /** The app label of orders without an app of ours, as NotifyMetrics labels requests without one. */
    static final String NO_APP = NotifyMetrics.NO_APP;
    /** created_at and received_at are DATETIME(3) holding UTC: compared as UTC wall-clock text (see Purge). */
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    private static final String ACKNOWLEDGED = Arrays.stream(Outcome.values()).filter(Outcome::acknowledged)
            .map(o -> "'" + o.name() + "'").collect(Collectors.joining(", "));
    static final String LAST_ACKNOWLEDGED = "SELECT received_at FROM alipay_notify WHERE received_at >= ?"
            + " AND outcome IN (" + ACKNOWLEDGED + ")%s ORDER BY received_at DESC LIMIT 1";
    static final String WAITING = "SELECT app_id, COUNT(*) FROM (SELECT app_id FROM alipay_order"
            + " WHERE trade_status = 'WAIT_BUYER_PAY' AND created_at < ? LIMIT " + COUNT_LIMIT + ") w GROUP BY app_id";

    private final DataSource dataSource;
    private final Apps apps;
    private final Duration waitingAge;
    private final String notCounted;
    /** The merchant's order.waiting-sql, when their table is used; null: alipay_order's index. */
    private final String customWaitingSql;
    private final Clock clock;
    private final Duration interval;
    /** Epoch milliseconds of the last acknowledged notification, per app name; 0: none on record. */
    private final Map<String, AtomicLong> lastAcknowledged = new LinkedHashMap<>();
    private volatile boolean seeded;
    /** Per app label; empty until counted or after a failed count (the gauges then show NaN, not a stale number). */
    private volatile Map<String, Long> waiting = Map.of();
    private volatile Instant countedAt;
    private volatile String countError;
    private ScheduledExecutorService scheduler;

    /**
     * @param waitingAlertMinutes {@code notify.waiting-alert-minutes}; 0: no count
     * @param customOrders        {@code order.lookup-sql} is set: the orders are not in alipay_order, no count
     */
    public Silence(DataSource dataSource, Apps apps, int waitingAlertMinutes, boolean customOrders, Clock clock,
            Duration interval) {
        this(dataSource, apps, waitingAlertMinutes, customOrders, null, clock, interval);
    }

    /**
     * @param customWaitingSql with {@code customOrders}: the merchant's {@code order.waiting-sql} (out_trade_no,
     *                         age_seconds and optionally app_id of their orders waiting for payment), or null
     */
    public Silence(DataSource dataSource, Apps apps, int waitingAlertMinutes, boolean customOrders,
            String customWaitingSql, Clock clock, Duration interval) {
        this.dataSource = dataSource;
        this.apps = apps;
        this.clock = clock;
        this.interval = interval;
        for (App app : apps.all()) {
            lastAcknowledged.put(app.name(), new AtomicLong());
        }
        this.customWaitingSql = customOrders ? customWaitingSql : null;
        if (customOrders && customWaitingSql == null) {
            notCounted = "order.lookup-sql is set without order.waiting-sql: your orders are in your own table, and"
                    + " no statement says which of them wait for payment";
        } else if (waitingAlertMinutes == 0) {
            notCounted = "notify.waiting-alert-minutes is 0";
        } else {
            notCounted = null;
        }
        waitingAge = notCounted == null ? Duration.ofMinutes(waitingAlertMinutes) : null;
    }

    /** Runs at once (reading the last acknowledgement and counting), then every interval, on a daemon thread. */
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alipay-notify-silence");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::runQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void runQuietly() {
        try {
            run();
        } catch (RuntimeException e) {
            LOG.warn("Silence alarm run failed, will try again in {}: {}", interval, e.toString());
        }
    }

    /** One run: the last acknowledgements from the database until that worked once, then the count. */
    void run() {
        if (!seeded) {
            try {
                seed();
                seeded = true;
            } catch (SQLException e) {
                LOG.warn("Could not read the last acknowledged notification of each app (will try again in {}): {}",
                        interval, e.toString());
            }
        }
        if (waitingAge != null) {
            try {
                waiting = count();
                countedAt = clock.instant();
                if (countError != null) {
                    LOG.info("Counting orders waiting for payment works again");
                }
                countError = null;
            } catch (SQLException e) {
                if (countError == null) {
                    LOG.warn("Could not count orders waiting for payment (will try every {}): {}", interval,
                            e.toString());
                }
                waiting = Map.of();
                countError = Text.printable(Text.maskSecrets(e.toString()), 300);
            }
        }
    }

    /** Told by the metrics of every acknowledged notification; a request never waits for anything here. */
    void acknowledged(String app) {
        AtomicLong last = lastAcknowledged.get(app);
        if (last != null) {
            last.accumulateAndGet(clock.millis(), Math::max);
        }
    }

    private void seed() throws SQLException {
        Instant since = clock.instant().minus(SEED_LOOKBACK);
        boolean single = apps.single() != null;
        // one app: every record is its own, also those from before the records carried app_id
        String sql = String.format(LAST_ACKNOWLEDGED, single ? "" : " AND app_id = ?");
        Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                for (App app : apps.all()) {
                    ps.setString(1, UTC_MILLIS.format(since));
                    if (!single) {
                        ps.setString(2, app.appId());
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            long at = rs.getObject(1, LocalDateTime.class).toInstant(ZoneOffset.UTC).toEpochMilli();
                            lastAcknowledged.get(app.name()).accumulateAndGet(at, Math::max);
                        }
                    }
                }
            }
            return null;
        });
    }

    private Map<String, Long> count() throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        for (String label : waitingLabels()) {
            counts.put(label, 0L);
        }
        App single = apps.single();
        if (customWaitingSql != null) {
            return countCustom(counts, single);
        }
        Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(WAITING)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setString(1, UTC_MILLIS.format(clock.instant().minus(waitingAge)));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        App app = single != null ? single : apps.byAppId(rs.getString(1));
                        counts.merge(app == null ? NO_APP : app.name(), rs.getLong(2), Long::sum);
                    }
                }
            }
            return null;
        });
        return Map.copyOf(counts);
    }

    /** The merchant's statement names their waiting orders and their ages: the old enough are counted here. */
    private Map<String, Long> countCustom(Map<String, Long> counts, App single) throws SQLException {
        long minAge = waitingAge.toSeconds();
        Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(customWaitingSql)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setMaxRows(COUNT_LIMIT);
                try (ResultSet rs = ps.executeQuery()) {
                    boolean hasApp = Jdbc.hasColumn(rs, "app_id");
                    while (rs.next()) {
                        if (rs.getLong("age_seconds") < minAge) {
                            continue;
                        }
                        App app = single != null ? single : hasApp ? apps.byAppId(rs.getString("app_id")) : null;
                        counts.merge(app == null ? NO_APP : app.name(), 1L, Long::sum);
                    }
                }
            }
            return null;
        });
        return Map.copyOf(counts);
    }

    /** The app labels the count is shown for: each app, and "-" (orders of no app of ours) with several apps. */
    List<String> waitingLabels() {
        List<String> labels = new ArrayList<>();
        apps.all().forEach(a -> labels.add(a.name()));
        if (apps.single() == null) {
            labels.add(NO_APP);
        }
        return labels;
    }

    /** Unix time in seconds of the app's last acknowledged notification; 0 when none is on record. */
    double lastAcknowledgedEpochSeconds(String app) {
        AtomicLong last = lastAcknowledged.get(app);
        return last == null ? 0 : last.get() / 1000.0;
    }

    /** When the app's last notification was acknowledged, or null when none is on record. */
    Instant lastAcknowledged(String app) {
        AtomicLong last = lastAcknowledged.get(app);
        return last == null || last.get() == 0 ? null : Instant.ofEpochMilli(last.get());
    }

    /** Whether orders are counted at all (not with order.lookup-sql alone, nor with notify.waiting-alert-minutes=0). */
    boolean counts() {
        return waitingAge != null;
    }

    /** Orders of this app label waiting longer than the age; NaN before the first count or after a failed one. */
    double waiting(String label) {
        Long n = waiting.get(label);
        return n == null ? Double.NaN : n;
    }

    /** The health report's "waiting_orders" object. */
    String waitingJson() {
        if (waitingAge == null) {
            return Json.object().bool("counted", false).string("why", notCounted).toString();
        }
        Json j = Json.object().bool("counted", true)
                .number("older_than_minutes", waitingAge.toMinutes())
                .string("counted_at", countedAt == null ? null : countedAt.toString());
        Map<String, Long> now = waiting;
        Json per = Json.object();
        for (String label : waitingLabels()) {
            if (now.containsKey(label)) {
                per.number(label, now.get(label));
            } else {
                per.raw(label, "null");
            }
        }
        j.raw("by_app", per.toString());
        if (countError != null) {
            j.string("error", countError);
        }
        return j.toString();
    }

    /** Stops the thread; waits for a statement in flight (bounded by its query timeout) so no thread outlives us. */
    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(QUERY_TIMEOUT_SECONDS + 1L, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
