package org.alipaynotify.boot;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.alipaynotify.Outcome;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.App;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.ops.Purge;
import org.alipaynotify.request.BusinessChecker;
import org.alipaynotify.request.NotifyPath;
import org.alipaynotify.request.SignatureVerifier;

/**
 * Growth figures (RELIABILITY.md): the speed of the request path after the accept step (parse, verify, check, apply
 * on the real database) on empty tables and again with a million rows in alipay_order and alipay_notify.
 * Run with {@code bin/growth-bench} (server from ALIPAY_NOTIFY_BENCH_DB_URL, default jdbc:mysql://127.0.0.1:3306/;
 * it creates and drops a database of its own).
 */
public final class GrowthBench {
    static final int NOTIFICATIONS = 3_000;
    static final int THREADS = 8;
    static final int ROWS = 1_000_000;

    private GrowthBench() {
    }

    public static void main(String[] args) throws Exception {
        String server = System.getenv().getOrDefault("ALIPAY_NOTIFY_BENCH_DB_URL", "jdbc:mysql://127.0.0.1:3306/");
        String name = "alipay_notify_growth_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
        try (Connection c = DriverManager.getConnection(server, "root", ""); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        }
        String url = server + name;
        try {
            Map<String, String> sys = new HashMap<>();
            SandboxKeys keys = SandboxKeys.generate();
            sys.put(Settings.APP_ID, "2021000000000001");
            sys.put(Settings.PUBLIC_KEY, keys.publicKeyBase64());
            sys.put(Settings.DB_URL, url);
            sys.put(Settings.DB_USER, "root");
            sys.put(Settings.DB_POOL_SIZE, Integer.toString(THREADS));
            Settings settings = Settings.load(sys, Map.of());
            try (HikariDataSource pool = Database.open(settings)) {
                try (Connection c = pool.getConnection()) {
                    Migrations.fromClassPath().apply(c);
                }
                NotifyPath path = new NotifyPath(
                        new SignatureVerifier(Apps.of(App.load(settings.apps().get(0), 0, Clock.systemUTC()))),
                        new BusinessChecker(), new TradeLedger(pool));
                AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
                measure("warm-up (JIT, pool, caches)", pool, path, signer, "w"); // not reported
                String before = measure("empty tables (" + NOTIFICATIONS + " rows after warm-up)", pool, path,
                        signer, "a");
                long fillMs = fill(pool);
                String after = measure("1,000,000 rows each", pool, path, signer, "b");
                // Half of the filled notification records are 400 days old: purge them (365-day retention) while
                // notifications flow, to see the purge's speed and that the request path does not wait behind it.
                long[] purged = new long[2];
                long[] purgeMs = new long[1];
                Thread purger = new Thread(() -> {
                    long t0 = System.nanoTime();
                    try {
                        long[] d = new Purge(pool, java.time.Duration.ofDays(365), java.time.Duration.ofDays(365),
                                Clock.systemUTC()).run();
                        purged[0] = d[0];
                        purged[1] = d[2];
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    purgeMs[0] = (System.nanoTime() - t0) / 1_000_000;
                });
                purger.start();
                String during = measure("1,000,000 rows, purge running", pool, path, signer, "c");
                purger.join();
                System.out.println();
                System.out.println("| tables | notifications/s | p50 ms | p99 ms |");
                System.out.println("|---|---|---|---|");
                System.out.println(before);
                System.out.println(after);
                System.out.println(during);
                System.out.println("(purge: " + purged[0] + " notification records in " + purgeMs[0] + " ms, "
                        + (purgeMs[0] == 0 ? 0 : purged[0] * 1000 / purgeMs[0]) + " rows/s, batches of "
                        + Purge.BATCH + ")");
                System.out.println("(filling took " + fillMs / 1000 + " s; " + NOTIFICATIONS + " notifications, "
                        + THREADS + " threads, each parse + verify + check + one transaction)");
            }
        } finally {
            try (Connection c = DriverManager.getConnection(server, "root", ""); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + name);
            }
        }
    }

    static String measure(String label, HikariDataSource pool, NotifyPath path, AlipaySigner signer, String run)
            throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, 10.00)")) {
            for (int i = 0; i < NOTIFICATIONS; i++) {
                String order = "growth-" + run + "-" + i;
                ps.setString(1, order);
                ps.addBatch();
                Map<String, String> p = new LinkedHashMap<>();
                p.put("charset", "utf-8");
                p.put("notify_type", "trade_status_sync");
                p.put("notify_id", "growth-" + run + "-notify-" + i);
                p.put("notify_time", "2026-11-25 10:00:06");
                p.put("app_id", "2021000000000001");
                p.put("out_trade_no", order);
                p.put("trade_no", "2026112522001" + run + i);
                p.put("trade_status", "TRADE_SUCCESS");
                p.put("total_amount", "10.00");
                p.put("buyer_id", "2088102000000001");
                p.put("gmt_payment", "2026-11-25 10:00:05");
                p.put("subject", "growth benchmark order " + i);
                p.put("fund_bill_list", "[{\"amount\":\"10.00\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
                bodies.add(AlipaySigner.formBody(signer.signed(p)));
            }
            ps.executeBatch();
            c.commit();
        }
        long[] latencies = new long[NOTIFICATIONS];
        AtomicInteger next = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        long started = System.nanoTime();
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            work.add(threads.submit(() -> {
                for (int i = next.getAndIncrement(); i < NOTIFICATIONS; i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    NotifyPath.Result r = path.process(bodies.get(i), "127.0.0.1");
                    latencies[i] = System.nanoTime() - t0;
                    if (r.outcome() != Outcome.APPLIED) {
                        throw new IllegalStateException("notification " + i + ": " + r.outcome() + " " + r.reason());
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        threads.shutdown();
        Arrays.sort(latencies);
        return String.format("| %s | %.0f | %.1f | %.1f |", label, NOTIFICATIONS / seconds,
                latencies[NOTIFICATIONS / 2] / 1e6, latencies[NOTIFICATIONS * 99 / 100] / 1e6);
    }

    /** A million orders, and a million notification records of about the real size (1.2 KB body), in SQL. */
    static long fill(HikariDataSource pool) throws Exception {
        long started = System.nanoTime();
        String digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
                + " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        String n = "(a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d)";
        String from = " FROM " + digits + " a, " + digits + " b, " + digits + " c, " + digits + " e, " + digits
                + " f, " + digits + " g";
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO alipay_order (out_trade_no, total_amount, trade_status, paid, trade_no)"
                    + " SELECT CONCAT('fill-', " + n + "), 10.00, 'TRADE_SUCCESS', 1, CONCAT('2026', " + n + ")"
                    + from);
            c.commit();
            st.execute("INSERT INTO alipay_notify (notify_id, out_trade_no, trade_status, outcome, charset, raw_body,"
                    + " received_at)"
                    + " SELECT CONCAT('fill-notify-', " + n + "), CONCAT('fill-', " + n + "), 'TRADE_SUCCESS',"
                    + " 'APPLIED', 'utf-8', REPEAT('x', 1200), UTC_TIMESTAMP(3) - INTERVAL (" + n + " MOD 2) * 400 DAY"
                    + from);
            c.commit();
        }
        return (System.nanoTime() - started) / 1_000_000;
    }
}
