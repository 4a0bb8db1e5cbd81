package org.alipaynotify.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Retention: deletes records received before their table's cut-off ({@code notify.retention-days} for the signed
 * notification records alipay_notify and alipay_notify_unmatched, {@code notify.refusal-retention-days} for
 * alipay_notify_refused; 0 keeps a table for ever), in batches of {@link #BATCH} rows, each its own short transaction
 * on the received_at index, so no lock is held for long and the request path never waits behind it. Orders are never
 * touched. Runs once an hour on one daemon thread that stops with the webapp; several instances may purge at once
 * harmlessly.
 */
public final class Purge implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Purge.class);
    public static final int BATCH = 1_000;
    /** In the order of {@link #run()}'s answer. */
    public static final String[] TABLES = {"alipay_notify", "alipay_notify_unmatched", "alipay_notify_refused",
            "alipay_notify_event"};
    /**
     * received_at is a DATETIME(3) holding UTC, so the cut-off is UTC wall-clock text: a Timestamp would be converted
     * to the JVM's or session's zone, and Connector/J drops its milliseconds for MariaDB (see TradeLedger).
     */
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    private final DataSource dataSource;
    private final Duration[] retention;
    private final Clock clock;
    private ScheduledExecutorService scheduler;

    private final String[] deletes;

    /** Without events (their table is kept for ever). */
    public Purge(DataSource dataSource, Duration notifications, Duration refusals, Clock clock) {
        this(dataSource, notifications, refusals, Duration.ZERO, true, clock);
    }

    /**
     * @param notifications retention of the notification records, {@link Duration#ZERO} for ever; the others alike
     * @param events        retention of delivered events; with the relay off (CDC reads the outbox), of every event
     */
    public Purge(DataSource dataSource, Duration notifications, Duration refusals, Duration events, boolean relayOn,
            Clock clock) {
        this.dataSource = dataSource;
        this.retention = new Duration[] {notifications, notifications, refusals, events};
        this.clock = clock;
        String delete = "DELETE FROM %s WHERE %s < ?%s ORDER BY %s LIMIT " + BATCH;
        this.deletes = new String[] {
            String.format(delete, TABLES[0], "received_at", "", "received_at"),
            String.format(delete, TABLES[1], "received_at", "", "received_at"),
            String.format(delete, TABLES[2], "received_at", "", "received_at"),
            // parked (DEAD) and pending events are never purged while a relay delivers them
            String.format(delete, TABLES[3], "created_at", relayOn ? " AND status = 'DELIVERED'" : "", "created_at")};
    }

    /** Whether any table has a retention at all (else there is nothing to schedule). */
    public boolean anything() {
        for (Duration d : retention) {
            if (!d.isZero()) {
                return true;
            }
        }
        return false;
    }

    /** Starts the hourly purge, the first a minute after start-up. */
    public void schedule() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alipay-notify-purge");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::runQuietly, 1, 60, TimeUnit.MINUTES);
    }

    private void runQuietly() {
        try {
            run();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Retention purge failed, will try again in an hour: {}", e.toString());
        }
    }

    /** Deletes what is older than each table's retention; returns the rows deleted per table, in {@link #TABLES} order. */
    public long[] run() throws SQLException {
        long[] deleted = new long[TABLES.length];
        StringBuilder done = new StringBuilder();
        for (int i = 0; i < TABLES.length; i++) {
            if (retention[i].isZero()) {
                continue;
            }
            Instant cutoff = clock.instant().minus(retention[i]);
            String sql = deletes[i];
            int n;
            do {
                try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
                    if (!c.getAutoCommit()) {
                        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                    }
                    ps.setString(1, UTC_MILLIS.format(cutoff));
                    n = ps.executeUpdate();
                    if (!c.getAutoCommit()) {
                        c.commit();
                    }
                }
                deleted[i] += n;
            } while (n == BATCH);
            if (deleted[i] > 0) {
                done.append(done.length() == 0 ? "" : ", ").append(deleted[i]).append(" from ").append(TABLES[i])
                        .append(" (received before ").append(cutoff).append(')');
            }
        }
        if (done.length() > 0) {
            LOG.info("Retention purge deleted {}", done);
        }
        return deleted;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
