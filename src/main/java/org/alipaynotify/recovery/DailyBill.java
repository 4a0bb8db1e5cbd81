package org.alipaynotify.recovery;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.HttpURLConnection;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.alipaynotify.Jdbc;
import org.alipaynotify.Json;
import org.alipaynotify.Text;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Once a day, yesterday's trade bill of each app ({@code alipay.data.dataservice.bill.downloadurl.query}, a zip of GBK
 * CSV files) against our records. Each difference is a row of {@code alipay_notify_bill_diff}, a WARN line and a count
 * of {@code alipay_notify_bill_differences_total{kind}}:
 * <ul>
 * <li>{@code PAID_NOT_HERE}: Alipay lists a payment we never applied. The bill itself is not signed (only the answer
 * that named its URL is), so its facts are not applied: the order is put to the active query at once, whose signed
 * answer is (a payment found this way is applied within a pass);</li>
 * <li>{@code AMOUNT_DIFFERS}, {@code TRADE_NO_DIFFERS}: we recorded the payment with another amount or trade;</li>
 * <li>{@code REFUND_NOT_HERE}: refunds that day exceed the cumulative refund we recorded;</li>
 * <li>{@code NOT_IN_BILL}: an order paid here that day (by Alipay's time) that no app's bill lists.</li>
 * </ul>
 * A day is claimed per app by its row in {@code alipay_notify_bill_run}, so several instances compare it once.
 */
public final class DailyBill implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(DailyBill.class);
    static final String METHOD = "alipay.data.dataservice.bill.downloadurl.query";
    private static final ZoneId CHINA = ZoneId.of("Asia/Shanghai");
    private static final int MAX_ZIP = 256 << 20;
    /** A failed day is tried this many times in all, an hour apart: from run-at (10:00) to late evening. */
    static final int TRIES = 12;

    /** The kinds of difference; a label of the metric. */
    public enum Kind { PAID_NOT_HERE, AMOUNT_DIFFERS, TRADE_NO_DIFFERS, REFUND_NOT_HERE, NOT_IN_BILL }

    private final DataSource dataSource;
    private final List<Gateway> gateways;
    private final String factsTable;
    private final ActiveQuery query;
    private final LocalTime runAt;
    private final int timeoutMs;
    private final Clock clock;
    private final Map<Kind, AtomicLong> found = new EnumMap<>(Kind.class);
    private volatile long lastDifferences = -1;
    private final AtomicLong failedRuns = new AtomicLong();
    private ScheduledExecutorService scheduler;

    /**
     * @param factsTable where our facts about each trade are (alipay_order, or alipay_trade with your own table)
     * @param query      the active query, which applies what the bill shows we missed; null when it is off
     */
    DailyBill(DataSource dataSource, List<Gateway> gateways, String factsTable, ActiveQuery query, LocalTime runAt,
            int timeoutMs, Clock clock) {
        this.dataSource = dataSource;
        this.gateways = List.copyOf(gateways);
        this.factsTable = factsTable;
        this.query = query;
        this.runAt = runAt;
        this.timeoutMs = timeoutMs;
        this.clock = clock;
        for (Kind k : Kind.values()) {
            found.put(k, new AtomicLong());
        }
    }

    /** Every day at {@code bill.run-at}, China time, for the day before; also now, if today's run was missed. */
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alipay-notify-bill");
            t.setDaemon(true);
            return t;
        });
        ZonedDateTime now = ZonedDateTime.now(clock.withZone(CHINA));
        ZonedDateTime next = now.with(runAt);
        long initial = now.isBefore(next) ? Duration.between(now, next).toSeconds() : 60;
        scheduler.scheduleAtFixedRate(() -> runQuietly(LocalDate.now(clock.withZone(CHINA)).minusDays(1), 1),
                initial, TimeUnit.DAYS.toSeconds(1), TimeUnit.SECONDS);
    }

    /**
     * A failed run is tried again every hour, {@link #TRIES} times in all: the bill may not be ready at run-at, or the
     * gateway or the database may be away for a while; a day never compared is what the failed-runs alert is for.
     */
    private void runQuietly(LocalDate day, int attempt) {
        boolean failed;
        try {
            failed = run(day) < 0;
        } catch (SQLException | RuntimeException e) {
            failedRuns.incrementAndGet();
            LOG.error("Daily bill of {}: {}", day, Text.printable(e.toString(), 300));
            failed = true;
        }
        if (failed && attempt < TRIES && !scheduler.isShutdown()) {
            LOG.warn("Daily bill of {}: try {} of {} in an hour", day, attempt + 1, TRIES);
            scheduler.schedule(() -> runQuietly(day, attempt + 1), 1, TimeUnit.HOURS);
        }
    }

    /** Differences found since start, by kind. */
    public long found(Kind kind) {
        return found.get(kind).get();
    }

    /** Runs that could not compare a day (a bill not to be had, a database error), since start. */
    public long failedRuns() {
        return failedRuns.get();
    }

    /** Differences of the last run, or -1 before the first. */
    public long lastDifferences() {
        return lastDifferences;
    }

    /**
     * Compares one day's bills (every app's) with our records. Returns the differences found, 0 when another instance
     * compares the day, or -1 when an app's bill could not be had: then the day is marked failed for every app of the
     * run, so that the next run (this or another instance's) compares it whole.
     */
    public int run(LocalDate day) throws SQLException {
        Map<String, BillFile.Row> payments = new HashMap<>();
        Map<String, BigDecimal> refunds = new HashMap<>();
        Map<String, String> appOf = new HashMap<>();
        List<Gateway> mine = new ArrayList<>();
        for (Gateway g : gateways) {
            if (!claim(g.app().appId(), day)) {
                continue;
            }
            mine.add(g);
            try {
                List<BillFile.Row> rows = download(g, day);
                int trades = 0;
                for (BillFile.Row r : rows) {
                    appOf.put(r.outTradeNo(), g.app().appId());
                    if (r.refund()) {
                        refunds.merge(r.outTradeNo(), r.amount(), BigDecimal::add);
                    } else {
                        payments.put(r.outTradeNo(), r);
                        trades++;
                    }
                }
                finish(g.app().appId(), day, "compared", trades, rows.size() - trades, null);
            } catch (Gateway.Unanswered | IOException e) {
                // a day compared against part of the bills would show false differences: none is compared
                for (Gateway claimed : mine) {
                    finish(claimed.app().appId(), day, "failed", null, null, claimed == g ? e.getMessage()
                            : "app " + g.app().name() + "'s bill could not be had");
                }
                failedRuns.incrementAndGet();
                LOG.error("Daily bill of {} for app {}: {}", day, g.app().name(), Text.printable(e.getMessage(),
                        300));
                return -1;
            }
        }
        if (mine.isEmpty()) {
            return 0;
        }
        List<Difference> diffs = compare(day, payments, refunds, appOf);
        for (Gateway g : mine) {
            setDifferences(g.app().appId(), day, (int) diffs.stream().filter(d -> g.app().appId().equals(d.appId()))
                    .count());
        }
        lastDifferences = diffs.size();
        LOG.info("Daily bill of {}: {} payments and {} refunded orders compared, {} differences", day,
                payments.size(), refunds.size(), diffs.size());
        return diffs.size();
    }

    /** Every difference of the day, recorded as found. */
    private List<Difference> compare(LocalDate day, Map<String, BillFile.Row> payments, Map<String, BigDecimal> refunds,
            Map<String, String> appOf) throws SQLException {
        List<Difference> diffs = new ArrayList<>();
        Jdbc.read(dataSource, c -> {
            for (BillFile.Row p : payments.values()) {
                Facts f = facts(c, p.outTradeNo());
                if (f == null || !f.paid) {
                    diffs.add(new Difference(Kind.PAID_NOT_HERE, appOf.get(p.outTradeNo()), p.outTradeNo(),
                            p.tradeNo(), f == null ? "no record" : "not paid", p.amount().toPlainString(),
                            query != null ? "asked Alipay about it now (active query)"
                                    : "the active query is off: apply it by hand or turn query.enabled on"));
                    if (query != null) {
                        query.askSoon(p.outTradeNo(), appOf.get(p.outTradeNo()));
                    }
                    continue;
                }
                if (f.totalAmount.compareTo(p.amount()) != 0) {
                    diffs.add(new Difference(Kind.AMOUNT_DIFFERS, appOf.get(p.outTradeNo()), p.outTradeNo(),
                            p.tradeNo(), f.totalAmount.toPlainString(), p.amount().toPlainString(), null));
                }
                if (f.tradeNo != null && !f.tradeNo.equals(p.tradeNo())) {
                    diffs.add(new Difference(Kind.TRADE_NO_DIFFERS, appOf.get(p.outTradeNo()), p.outTradeNo(),
                            p.tradeNo(), f.tradeNo, p.tradeNo(), "a second trade for this order: was it refunded?"));
                }
            }
            for (Map.Entry<String, BigDecimal> r : refunds.entrySet()) {
                Facts f = facts(c, r.getKey());
                BigDecimal ours = f == null || f.refundFee == null ? BigDecimal.ZERO : f.refundFee;
                if (ours.compareTo(r.getValue()) < 0) {
                    diffs.add(new Difference(Kind.REFUND_NOT_HERE, appOf.get(r.getKey()), r.getKey(),
                            f == null ? null : f.tradeNo, ours.toPlainString(), r.getValue().toPlainString(),
                            "refunds that day exceed the cumulative refund recorded here"));
                }
            }
            Set<String> listed = new HashSet<>(payments.keySet());
            try (PreparedStatement ps = c.prepareStatement("SELECT out_trade_no, trade_no, total_amount FROM "
                    + factsTable + " WHERE paid = 1 AND gmt_payment >= ? AND gmt_payment < ?")) {
                ps.setString(1, day + " 00:00:00");
                ps.setString(2, day.plusDays(1) + " 00:00:00");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (!listed.contains(rs.getString(1))) {
                            diffs.add(new Difference(Kind.NOT_IN_BILL, gateways.get(0).app().appId(),
                                    rs.getString(1), rs.getString(2), rs.getBigDecimal(3).toPlainString(), null,
                                    "paid here that day, in no app's bill"));
                        }
                    }
                }
            }
            return null;
        });
        record(day, diffs);
        return diffs;
    }

    private record Facts(boolean paid, BigDecimal totalAmount, String tradeNo, BigDecimal refundFee) {
    }

    /** One difference, as recorded in alipay_notify_bill_diff. */
    private record Difference(Kind kind, String appId, String outTradeNo, String tradeNo, String ours, String theirs,
            String detail) {
    }

    private Facts facts(Connection c, String outTradeNo) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT paid, total_amount, trade_no, refund_fee FROM "
                + factsTable + " WHERE out_trade_no = ?")) {
            ps.setString(1, outTradeNo);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Facts(rs.getBoolean(1), rs.getBigDecimal(2), rs.getString(3),
                        rs.getBigDecimal(4)) : null;
            }
        }
    }

    private void record(LocalDate day, List<Difference> diffs) throws SQLException {
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alipay_notify_bill_diff (app_id, bill_date,"
                    + " kind, out_trade_no, trade_no, ours, theirs, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Difference d : diffs) {
                    ps.setString(1, d.appId());
                    ps.setString(2, day.toString());
                    ps.setString(3, d.kind().name());
                    ps.setString(4, d.outTradeNo());
                    ps.setString(5, d.tradeNo());
                    ps.setString(6, d.ours());
                    ps.setString(7, d.theirs());
                    ps.setString(8, d.detail() == null ? null : Text.printable(d.detail(), 250));
                    ps.executeUpdate();
                    found.get(d.kind()).incrementAndGet();
                    LOG.warn("Daily bill of {}: {} out_trade_no {} trade_no {}: ours {}, Alipay's {}{}", day,
                            d.kind(), d.outTradeNo(), d.tradeNo(), d.ours(), d.theirs(),
                            d.detail() == null ? "" : " (" + d.detail() + ")");
                }
            }
            return null;
        });
    }

    /**
     * The day's row for this app: whoever inserts it compares; the primary key makes one winner. A failed day, or one
     * whose run stopped with its instance (running for over an hour), is taken over by one conditional update.
     */
    private boolean claim(String appId, LocalDate day) throws SQLException {
        return Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alipay_notify_bill_run (app_id, bill_date,"
                    + " status) VALUES (?, ?, 'running')")) {
                ps.setString(1, appId);
                ps.setString(2, day.toString());
                ps.executeUpdate();
                return true;
            } catch (SQLException e) {
                // the row is there (1062), or another node inserted it at the same moment (Galera: 1213)
                if (!(e instanceof SQLIntegrityConstraintViolationException) && e.getErrorCode() != 1062
                        && !Jdbc.lostConflict(e)) {
                    throw e;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE alipay_notify_bill_run SET status = 'running',"
                    + " error = NULL, trade_rows = NULL, refund_rows = NULL, differences = NULL, finished_at = NULL,"
                    + " started_at = UTC_TIMESTAMP(3) WHERE app_id = ? AND bill_date = ? AND (status = 'failed'"
                    + " OR (status = 'running' AND started_at < UTC_TIMESTAMP(3) - INTERVAL 1 HOUR))")) {
                ps.setString(1, appId);
                ps.setString(2, day.toString());
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            // what a run that stopped half-way recorded is found again
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM alipay_notify_bill_diff WHERE app_id = ?"
                    + " AND bill_date = ?")) {
                ps.setString(1, appId);
                ps.setString(2, day.toString());
                ps.executeUpdate();
            }
            return true;
        });
    }

    private void finish(String appId, LocalDate day, String status, Integer trades, Integer refundRows, String error)
            throws SQLException {
        update("UPDATE alipay_notify_bill_run SET status = ?, trade_rows = ?, refund_rows = ?, error = ?,"
                + " finished_at = UTC_TIMESTAMP(3) WHERE app_id = ? AND bill_date = ?", status, trades, refundRows,
                error == null ? null : Text.printable(error, 250), appId, day.toString());
    }

    private void setDifferences(String appId, LocalDate day, int n) throws SQLException {
        update("UPDATE alipay_notify_bill_run SET differences = ? WHERE app_id = ? AND bill_date = ?", n, appId,
                day.toString());
    }

    private void update(String sql, Object... args) throws SQLException {
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps.executeUpdate();
            }
        });
    }

    private List<BillFile.Row> download(Gateway g, LocalDate day) throws Gateway.Unanswered, IOException {
        Gateway.Answer a = g.call(METHOD, Json.object().string("bill_type", "trade").string("bill_date",
                day.toString()).toString());
        if (!a.success()) {
            throw new IOException("the gateway answered " + a.text("code") + " " + a.text("sub_code") + " "
                    + a.text("sub_msg"));
        }
        String url = a.text("bill_download_url");
        if (url == null) {
            throw new IOException("the answer names no bill_download_url");
        }
        HttpURLConnection http = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try {
            http.setConnectTimeout(timeoutMs);
            http.setReadTimeout(timeoutMs * 6);
            http.setInstanceFollowRedirects(false);
            int status = http.getResponseCode();
            if (status != 200) {
                throw new IOException("the bill's URL answered HTTP " + status);
            }
            try (InputStream in = http.getInputStream()) {
                byte[] zip = in.readNBytes(MAX_ZIP + 1);
                if (zip.length > MAX_ZIP) {
                    throw new IOException("the bill is larger than " + MAX_ZIP + " bytes");
                }
                return BillFile.parse(zip);
            }
        } finally {
            http.disconnect();
        }
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
