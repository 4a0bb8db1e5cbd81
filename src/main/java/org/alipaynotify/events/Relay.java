package org.alipaynotify.events;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.alipaynotify.HttpPost;
import org.alipaynotify.Jdbc;
import org.alipaynotify.Text;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Delivers the outbox ({@code alipay_notify_event}) to the merchant's endpoint ({@code events.forward-url}): each
 * event POSTed as JSON, signed ({@link EventSignature}), a 2xx meaning delivered. At least once, in order per order:
 * an order's event is not sent while an earlier one of the same order is undelivered (a refund never overtakes its
 * payment). Failures retry on {@code events.retry-schedule}; after the last retry the event is parked as DEAD (a
 * metric, an ERROR line; README, "Events", has the statement that re-queues it).
 *
 * <p>Safe with several instances on one database, Galera included: a batch is claimed with a lease
 * ({@code locked_by}, {@code locked_until}) in a short transaction of its own ({@code FOR UPDATE SKIP LOCKED}), then
 * delivered outside any transaction, then marked. Two instances never hold the same event; an instance that dies
 * mid-delivery leaves a lease that expires, and the event is delivered again: never lost. One thread, its own
 * connection (or one of the container's), bounded timeouts: a slow receiver never touches {@code /alipay/notify}.
 */
public final class Relay implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Relay.class);
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    static final int BATCH = 10;
    private static final long STATS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final String CANDIDATES = "SELECT seq, id, aggregateid, type, payload, attempts"
            + " FROM alipay_notify_event e WHERE e.status = 'PENDING' AND e.next_attempt_at <= ?"
            + " AND (e.locked_until IS NULL OR e.locked_until < ?)"
            + " AND NOT EXISTS (SELECT 1 FROM alipay_notify_event p WHERE p.aggregateid = e.aggregateid"
            + " AND p.seq < e.seq AND p.status <> 'DELIVERED')"
            + " ORDER BY e.seq LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED";
    private static final String CLAIM = "UPDATE alipay_notify_event SET locked_by = ?, locked_until = ? WHERE seq = ?";
    private static final String DELIVERED = "UPDATE alipay_notify_event SET status = 'DELIVERED', delivered_at = ?,"
            + " attempts = attempts + 1, last_error = NULL, locked_by = NULL, locked_until = NULL"
            + " WHERE seq = ? AND locked_by = ?";
    private static final String FAILED = "UPDATE alipay_notify_event SET status = ?, attempts = attempts + 1,"
            + " next_attempt_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL"
            + " WHERE seq = ? AND locked_by = ?";
    private static final String BACKLOG = "SELECT status, COUNT(*), MIN(created_at) FROM alipay_notify_event"
            + " WHERE status <> 'DELIVERED' GROUP BY status";

    private record Claimed(long seq, String id, String orderId, String type, String payload, int attempts) {
    }

    private final DataSource dataSource;
    private final URI target;
    private final byte[] secret;
    private final List<Duration> schedule;
    private final int timeoutMs;
    private final Duration lease;
    private final Clock clock;
    private final String instance;
    private final String userAgent;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong parked = new AtomicLong();
    private volatile long pending;
    private volatile long dead;
    private volatile Instant oldestUndelivered;
    private volatile String lastError;
    private ScheduledExecutorService scheduler;
    private long nextStats;

    /**
     * @param schedule the waits before each retry; after the last, the event is parked
     */
    public Relay(DataSource dataSource, URI target, byte[] secret, List<Duration> schedule, int timeoutMs, Clock clock,
            String instance, String version) {
        // long enough for a whole batch at the worst timeouts, so a live instance never loses its claim
        this(dataSource, target, secret, schedule, timeoutMs, Duration.ofMillis(2L * timeoutMs * BATCH).plusSeconds(30),
                clock, instance, version);
    }

    /** @param lease how long a claim holds before another instance may deliver the event again */
    Relay(DataSource dataSource, URI target, byte[] secret, List<Duration> schedule, int timeoutMs, Duration lease,
            Clock clock, String instance, String version) {
        this.dataSource = dataSource;
        this.target = target;
        this.secret = secret.clone();
        this.schedule = List.copyOf(schedule);
        this.timeoutMs = timeoutMs;
        this.lease = lease;
        this.clock = clock;
        this.instance = instance;
        this.userAgent = "alipay-notify/" + version;
    }

    /** Delivers from now on: a pass each second, at once again after a full batch. */
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alipay-notify-relay");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::runQuietly, 0, 1, TimeUnit.SECONDS);
    }

    private void runQuietly() {
        try {
            while (runOnce() == BATCH && !Thread.currentThread().isInterrupted()) {
                // a full batch: there may be more, go on at once
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Event relay: {}; trying again in a second", Text.printable(e.toString(), 300));
        }
    }

    /** One claim, its deliveries and their marks; returns how many events were claimed. */
    int runOnce() throws SQLException {
        refreshStats(false);
        List<Claimed> batch = claim();
        for (Claimed e : batch) {
            deliver(e);
        }
        if (!batch.isEmpty()) {
            refreshStats(true);
        }
        return batch.size();
    }

    private List<Claimed> claim() throws SQLException {
        try {
            return claimOrLose();
        } catch (SQLException e) {
            if (!Jdbc.lostConflict(e)) {
                throw e;
            }
            // Several instances on a Galera cluster: a node sees no row lock of the others, so two instances
            // claim the same events and the later commit fails certification. Nothing was claimed: the next
            // pass (in a second) looks again. A deadlock on a single server ends the same way.
            LOG.info("Event relay: another instance claimed the same events first (error {}, a Galera"
                    + " certification conflict or a deadlock); looking again in a second", e.getErrorCode());
            return List.of();
        }
    }

    private List<Claimed> claimOrLose() throws SQLException {
        return Jdbc.inTransaction(dataSource, c -> {
            List<Claimed> batch = new ArrayList<>(BATCH);
            String now = utc(clock.instant());
            try (PreparedStatement ps = c.prepareStatement(CANDIDATES)) {
                ps.setString(1, now);
                ps.setString(2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        batch.add(new Claimed(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getInt(6)));
                    }
                }
            }
            if (!batch.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
                    String until = utc(clock.instant().plus(lease));
                    for (Claimed e : batch) {
                        ps.setString(1, instance);
                        ps.setString(2, until);
                        ps.setLong(3, e.seq());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            return batch;
        });
    }

    private void deliver(Claimed e) throws SQLException {
        String error = post(e);
        Instant now = clock.instant();
        if (error == null) {
            Jdbc.autoCommitted(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement(DELIVERED)) {
                    ps.setString(1, utc(now));
                    ps.setLong(2, e.seq());
                    ps.setString(3, instance);
                    return ps.executeUpdate();
                }
            });
            delivered.incrementAndGet();
            return;
        }
        int attempt = e.attempts() + 1;
        boolean park = attempt > schedule.size();
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(FAILED)) {
                ps.setString(1, park ? "DEAD" : "PENDING");
                ps.setString(2, utc(park ? now : now.plus(schedule.get(attempt - 1))));
                ps.setString(3, Text.printable(error, 250));
                ps.setLong(4, e.seq());
                ps.setString(5, instance);
                return ps.executeUpdate();
            }
        });
        lastError = error;
        if (park) {
            parked.incrementAndGet();
            LOG.error("Event {} {} for out_trade_no {} parked after {} attempts: {}. Re-queue it with UPDATE"
                    + " alipay_notify_event SET status = 'PENDING', attempts = 0, next_attempt_at ="
                    + " UTC_TIMESTAMP(3) WHERE id = '{}'", e.id(), e.type(), e.orderId(), attempt, error, e.id());
        } else {
            retried.incrementAndGet();
            LOG.warn("Event {} {} for out_trade_no {}: attempt {} failed ({}); next in {}", e.id(), e.type(),
                    e.orderId(), attempt, error, schedule.get(attempt - 1));
        }
    }

    /** Null when the receiver answered 2xx, else why not. */
    private String post(Claimed e) {
        byte[] body = e.payload().getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json; charset=utf-8");
        headers.put("User-Agent", userAgent);
        headers.put("Alipay-Notify-Event-Id", e.id());
        headers.put("Alipay-Notify-Event-Type", e.type());
        headers.put(EventSignature.HEADER, EventSignature.header(secret, clock.instant(), body));
        try {
            // the body means nothing; a little is read so the receiver is not cut off
            HttpPost.Answer a = HttpPost.send(target, timeoutMs, headers, body, 4_096);
            return a.ok() ? null : "HTTP " + a.status();
        } catch (IOException | RuntimeException ex) {
            return ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
        }
    }

    private void refreshStats(boolean force) throws SQLException {
        long nowNanos = System.nanoTime();
        if (!force && nowNanos - nextStats < 0) {
            return;
        }
        nextStats = nowNanos + STATS_EVERY_NANOS;
        Jdbc.read(dataSource, c -> {
            long p = 0;
            long d = 0;
            Instant oldest = null;
            try (PreparedStatement ps = c.prepareStatement(BACKLOG); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long count = rs.getLong(2);
                    Instant first = rs.getObject(3, LocalDateTime.class).toInstant(ZoneOffset.UTC);
                    if ("DEAD".equals(rs.getString(1))) {
                        d += count;
                    } else {
                        p += count;
                    }
                    oldest = oldest == null || first.isBefore(oldest) ? first : oldest;
                }
            }
            pending = p;
            dead = d;
            oldestUndelivered = oldest;
            return null;
        });
    }

    private static String utc(Instant t) {
        return UTC_MILLIS.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    public long delivered() {
        return delivered.get();
    }

    public long retried() {
        return retried.get();
    }

    public long parked() {
        return parked.get();
    }

    /** Undelivered and not parked, as of the last look (every few seconds). */
    public long pending() {
        return pending;
    }

    /** Parked, waiting for a person, as of the last look. */
    public long dead() {
        return dead;
    }

    /** Seconds since the oldest undelivered event (parked ones included) was created; 0 when none. */
    public double oldestUndeliveredSeconds() {
        Instant oldest = oldestUndelivered;
        return oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toMillis() / 1000.0);
    }

    /** The last delivery error, or null. */
    public String lastError() {
        return lastError;
    }

    public URI target() {
        return target;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdown();
            try {
                if (!scheduler.awaitTermination(timeoutMs * 2L + 1_000, TimeUnit.MILLISECONDS)) {
                    scheduler.shutdownNow();
                }
            } catch (InterruptedException e) {
                scheduler.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
