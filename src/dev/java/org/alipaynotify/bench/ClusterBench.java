package org.alipaynotify.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;

/**
 * The throughput part of {@code deploy/test-galera.sh --bench}: a lighter variant of {@link Benchmark}'s
 * "alipay-notify end to end" measurement, pointed at one or several instances. Distinct TRADE_SUCCESS notifications
 * (the same 1.2 KB bodies as the benchmark), each for an order of its own, signed before any clock starts; orders
 * created on the first database and awaited on all; then a closed loop with {@link LoadGenerator}: {@code
 * --concurrency} keep-alive connections split evenly over the instances, a warm-up, then the measured run. Every
 * answer must be {@code 200 success}. Prints one key=value line per figure, including the CPU time per notification
 * of the processes named by {@code --pids} (the database servers and the instances' JVMs), read from /proc.
 */
public final class ClusterBench {
    private ClusterBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].substring(2), args[i + 1]);
        }
        List<URI> targets = Arrays.stream(opt.get("targets").split(",")).map(URI::create).toList();
        String[] dbs = opt.get("db").split(",");
        String prefix = opt.get("prefix");
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "10000"));
        int count = Integer.parseInt(opt.getOrDefault("count", "10000"));
        int concurrency = Integer.parseInt(opt.getOrDefault("concurrency", "32"));
        long[] pids = Arrays.stream(opt.getOrDefault("pids", "").split(",")).filter(s -> !s.isBlank())
                .mapToLong(Long::parseLong).toArray();
        AlipaySigner signer = new AlipaySigner(SandboxKeys.readPrivateKey(Path.of(opt.get("key"))));

        long t0 = System.nanoTime();
        List<byte[]> bodies = IntStream.range(0, warmup + count).parallel().mapToObj(i -> {
            Map<String, String> p = MicroBenchFixture.tradeSuccess();
            p.put("notify_id", "2026120200222" + prefix + "x" + i);
            p.put("out_trade_no", prefix + "-" + i);
            p.put("trade_no", "2026120222001446881" + i);
            return AlipaySigner.formBody(signer.signed(p));
        }).toList();
        createOrders(dbs, prefix, warmup + count);
        System.out.printf(Locale.ROOT, "signed=%d in %.1f s%n", bodies.size(), (System.nanoTime() - t0) / 1e9);

        run(targets, bodies.subList(0, warmup), concurrency);
        Thread.sleep(10_000); // the JIT compiler's queue drains, as in Benchmark
        long[] before = cpu(pids);
        Latencies l = run(targets, bodies.subList(warmup, warmup + count), concurrency);
        long[] after = cpu(pids);
        double cpuMicros = 0;
        for (int i = 0; i < pids.length; i++) {
            cpuMicros += (after[i] - before[i]) / 1e3 / count;
        }
        System.out.printf(Locale.ROOT, "label=%s%ninstances=%d%nconcurrency=%d%nmeasured=%d%nper_s=%.0f%n"
                + "p50_ms=%.2f%np99_ms=%.2f%np999_ms=%.2f%ncpu_us_per_notification=%.0f%n", opt.get("label"),
                targets.size(), concurrency, l.count(), l.perSecond(), l.percentileMs(50), l.percentileMs(99),
                l.percentileMs(99.9), cpuMicros);
        System.exit(0);
    }

    /** All targets at once, the connections split evenly; every answer must be 200 success. */
    private static Latencies run(List<URI> targets, List<byte[]> bodies, int concurrency) throws Exception {
        int n = targets.size();
        List<Thread> threads = new ArrayList<>();
        List<LoadGenerator.Run> runs = new ArrayList<>();
        AtomicReference<Exception> failed = new AtomicReference<>();
        long started = System.nanoTime();
        for (int t = 0; t < n; t++) {
            URI u = targets.get(t);
            List<byte[]> requests = new ArrayList<>();
            for (int i = t; i < bodies.size(); i += n) {
                requests.add(LoadGenerator.post(u.getPort(), u.getPath(), bodies.get(i)));
            }
            int c = concurrency / n + (t < concurrency % n ? 1 : 0);
            Thread thread = new Thread(() -> {
                try {
                    LoadGenerator.Run r = LoadGenerator.run(u.getPort(), requests, c);
                    synchronized (runs) {
                        runs.add(r);
                    }
                } catch (Exception e) {
                    failed.compareAndSet(null, e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long wall = System.nanoTime() - started;
        if (failed.get() != null) {
            throw failed.get();
        }
        java.util.stream.LongStream.Builder nanos = java.util.stream.LongStream.builder();
        for (LoadGenerator.Run r : runs) {
            if (r.notSuccess() > 0) {
                throw new IllegalStateException(r.notSuccess() + " answers were not 200 success; first: "
                        + r.firstFailure());
            }
            Arrays.stream(r.latencies().nanos()).forEach(nanos);
        }
        return new Latencies(nanos.build().toArray(), wall);
    }

    private static void createOrders(String[] dbs, String prefix, int n) throws SQLException {
        try (Connection c = DriverManager.getConnection(dbs[0] + "?rewriteBatchedStatements=true", "root", "")) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, 88.80)")) {
                for (int i = 0; i < n; i++) {
                    ps.setString(1, prefix + "-" + i);
                    ps.addBatch();
                    if (i % 5_000 == 4_999) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
        for (String url : dbs) {
            try (Connection c = DriverManager.getConnection(url, "root", ""); Statement st = c.createStatement()) {
                try {
                    st.execute("SET SESSION wsrep_sync_wait = 1");
                } catch (SQLException notGalera) {
                    // a server without wsrep: its own writes are visible at once
                }
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM alipay_order WHERE out_trade_no LIKE '"
                        + prefix + "-%'")) {
                    rs.next();
                    if (rs.getInt(1) != n) {
                        throw new IllegalStateException(url + " sees " + rs.getInt(1) + " of " + n + " orders");
                    }
                }
            }
        }
    }

    /** user + kernel nanoseconds of each process so far, from /proc/PID/stat (100 ticks a second). */
    private static long[] cpu(long[] pids) throws Exception {
        long[] out = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            String stat = Files.readString(Path.of("/proc", Long.toString(pids[i]), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            out[i] = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        }
        return out;
    }
}
