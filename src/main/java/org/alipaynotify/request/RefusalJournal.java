package org.alipaynotify.request;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.alipaynotify.Outcome;
import org.alipaynotify.Text;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps refused requests in {@code alipay_notify_refused}, at a cost nobody on the internet can raise.
 *
 * <p>A request refused before its signature verified proves nothing and may be junk sent to fill our disk, so it
 * is worth metadata, the claimed ids, a hash and the first {@link #UNVERIFIED_PREFIX} bytes (enough for a genuine
 * notification whole, to debug an integration), and no more than {@code notify.refusal-records-per-second} of them
 * are kept; the rest are counted, with one summary line a minute instead of a line each. A refusal after
 * verification (wrong app, unknown status...) is Alipay's own message: kept whole, under its own budget, and
 * replays of the same body only count deliveries on the first row.
 *
 * <p>Writing never holds up an answer nor touches the connections notifications need: the request thread only
 * offers a record to a bounded queue, and one writer thread of its own writes batches through its own
 * {@link DataSource} (a pool of one connection when we build the pool). A full queue or a database error drops
 * records, counted like the rest.
 */
public final class RefusalJournal implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(RefusalJournal.class);
    /** Bytes of an unverified body kept: a real notification is 1-2 KB. */
    static final int UNVERIFIED_PREFIX = 2_048;
    static final int QUEUE_CAPACITY = 256;
    private static final int BATCH = 64;
    private static final long SUMMARY_EVERY_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final String INSERT = "INSERT INTO alipay_notify_refused (received_at, remote_addr, http_status,"
            + " outcome, reason, verified, claimed_app_id, claimed_notify_id, claimed_out_trade_no, body_length,"
            + " body_sha256, verified_sha256, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON DUPLICATE KEY UPDATE deliveries = deliveries + 1, last_received_at = UTC_TIMESTAMP(3)";

    /** Why a refusal was not written; a label of the metric {@code alipay_notify_refusal_records_total}. */
    public enum Dropped { RATE_LIMIT, QUEUE_FULL, DATABASE_ERROR }

    private record Entry(LocalDateTime at, String remote, Outcome outcome, String reason, boolean verified,
            String appId, String notifyId, String outTradeNo, int length, String sha256, byte[] kept) {
    }

    /** Tells the writer to finish once what was queued before it is written. */
    private static final Entry CLOSE = new Entry(null, null, null, null, false, null, null, null, 0, null, null);

    private final DataSource dataSource;
    private final Clock clock;
    private final RateLimit unverifiedBudget;
    private final RateLimit verifiedBudget;
    private final BlockingQueue<Entry> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong[] dropped = new AtomicLong[Dropped.values().length];
    private final AtomicLong refusedSinceSummary = new AtomicLong();
    private final Thread writer;

    /**
     * @param recordsPerSecond refusal records kept per second (and as many more after verification); 0 keeps none
     *                         before verification
     */
    public RefusalJournal(DataSource dataSource, int recordsPerSecond, Clock clock) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.unverifiedBudget = new RateLimit(recordsPerSecond);
        // Alipay's own (signed) refusals are rare and worth more: never starved by junk, never below 10/s.
        this.verifiedBudget = new RateLimit(Math.max(recordsPerSecond, 10));
        for (int i = 0; i < dropped.length; i++) {
            dropped[i] = new AtomicLong();
        }
        writer = new Thread(this::writeUntilClosed, "alipay-notify-refusals");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Offers one refused request. Never blocks, never throws.
     *
     * @param form     the parsed body, or null when it did not parse (then nothing is claimed)
     * @param verified the signature verified (the body is Alipay's)
     * @return whether the record will be written; a request whose record is dropped for the budget gets no log line
     *         either (the minute's summary counts it)
     */
    boolean record(String remote, Outcome outcome, String reason, byte[] body, NotifyForm form, boolean verified) {
        if (outcome == Outcome.DATABASE_ERROR) {
            return true; // the database is the trouble: the log line is the record
        }
        if (!verified) {
            refusedSinceSummary.incrementAndGet();
        }
        if (!(verified ? verifiedBudget : unverifiedBudget).tryAcquire(System.nanoTime())) {
            dropped[Dropped.RATE_LIMIT.ordinal()].incrementAndGet();
            return false;
        }
        byte[] raw = body == null ? new byte[0] : body;
        byte[] kept = verified || raw.length <= UNVERIFIED_PREFIX ? raw : Arrays.copyOf(raw, UNVERIFIED_PREFIX);
        String sha = sha256(raw);
        Entry e = new Entry(LocalDateTime.now(clock.withZone(ZoneOffset.UTC)), remote, outcome,
                Text.printable(reason, 250), verified, claimed(form, "app_id", 64),
                claimed(form, "notify_id", 128), claimed(form, "out_trade_no", 64), raw.length, sha, kept);
        if (!queue.offer(e)) {
            dropped[Dropped.QUEUE_FULL.ordinal()].incrementAndGet();
        }
        return true;
    }

    /** Records written since start. */
    public long written() {
        return written.get();
    }

    /** Records not written since start, for one reason. */
    public long dropped(Dropped why) {
        return dropped[why.ordinal()].get();
    }

    private static String claimed(NotifyForm form, String key, int max) {
        String v = form == null ? null : form.get(key);
        if (v == null || v.isEmpty()) {
            return null;
        }
        String p = Text.printable(v, max);
        return p.length() > max ? p.substring(0, max) : p;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeUntilClosed() {
        long nextSummary = System.nanoTime() + SUMMARY_EVERY_NANOS;
        long[] droppedAtSummary = new long[dropped.length];
        List<Entry> batch = new ArrayList<>(BATCH);
        boolean open = true;
        while (open) {
            try {
                Entry first = queue.poll(1, TimeUnit.SECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                    // by identity: a record's generated equals would pin this webapp's class loader (see OrderRow)
                    open = !batch.removeIf(e -> e == CLOSE);
                    if (!batch.isEmpty()) {
                        write(batch);
                    }
                    batch.clear();
                }
            } catch (InterruptedException e) {
                return; // close() gave up waiting
            }
            long now = System.nanoTime();
            if (now - nextSummary >= 0 || !open) {
                summarize(droppedAtSummary, SUMMARY_EVERY_NANOS + now - nextSummary);
                nextSummary = now + SUMMARY_EVERY_NANOS;
            }
        }
    }

    private void write(List<Entry> batch) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (Entry e : batch) {
                ps.setString(1, UTC_MILLIS.format(e.at()));
                ps.setString(2, e.remote());
                ps.setInt(3, e.outcome().httpStatus());
                ps.setString(4, e.outcome().name());
                ps.setString(5, e.reason());
                ps.setBoolean(6, e.verified());
                setText(ps, 7, e.appId());
                setText(ps, 8, e.notifyId());
                setText(ps, 9, e.outTradeNo());
                ps.setInt(10, e.length());
                ps.setString(11, e.sha256());
                setText(ps, 12, e.verified() ? e.sha256() : null);
                ps.setBytes(13, e.kept());
                ps.addBatch();
            }
            ps.executeBatch();
            if (!c.getAutoCommit()) {
                c.commit();
            }
            written.addAndGet(batch.size());
        } catch (SQLException | RuntimeException e) {
            dropped[Dropped.DATABASE_ERROR.ordinal()].addAndGet(batch.size());
            LOG.warn("Could not record {} refused request(s) in alipay_notify_refused: {}", batch.size(),
                    Text.printable(e.toString(), 300));
        }
    }

    private static void setText(PreparedStatement ps, int i, String v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, v);
        }
    }

    private void summarize(long[] before, long periodNanos) {
        long refused = refusedSinceSummary.getAndSet(0);
        long[] d = new long[dropped.length];
        long total = 0;
        for (int i = 0; i < d.length; i++) {
            long now = dropped[i].get();
            d[i] = now - before[i];
            before[i] = now;
            total += d[i];
        }
        if (total > 0) {
            double seconds = periodNanos / 1e9;
            LOG.warn("Refused {} unverified requests in the last {} s ({}/s); {} refusal records and their log lines"
                            + " not written ({} over notify.refusal-records-per-second, {} queue full, {} database"
                            + " error)", refused, Math.round(seconds), Math.round(refused / seconds), total,
                    d[Dropped.RATE_LIMIT.ordinal()], d[Dropped.QUEUE_FULL.ordinal()],
                    d[Dropped.DATABASE_ERROR.ordinal()]);
        }
    }

    /** Writes what is queued, waiting at most a few seconds, and stops the writer. */
    @Override
    public void close() {
        try {
            if (!queue.offer(CLOSE, 2, TimeUnit.SECONDS) || !join(5_000)) {
                writer.interrupt();
                join(1_000);
            }
        } catch (InterruptedException e) {
            writer.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    private boolean join(long millis) throws InterruptedException {
        writer.join(millis);
        return !writer.isAlive();
    }
}
