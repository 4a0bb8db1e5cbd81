package org.alipaynotify.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.EmbeddedMariaDb;
import org.alipaynotify.dev.SandboxKeys;

/**
 * Issue 6's benchmark, one run (see BENCHMARKS.md for the method): at each concurrency, the database ceiling (the
 * bare transaction shape in plain JDBC), alipay-notify end to end (the built WAR in Jetty 12 in a JVM of its own,
 * pre-signed distinct notifications over keep-alive HTTP), and the tutorial handler ({@link NaiveNotifyServlet});
 * then the exactly-once check, the ratios, where a request's time goes, and the server's heap.
 *
 * <p>Options: {@code --war PATH} (default target/alipay-notify.war), {@code --pool N} (db.pool-size for the webapp
 * and the ceiling; default the webapp's own default), {@code --levels 1,8,32,128}, {@code --scale F} (multiplies
 * every phase's request count), {@code --heap 256m} (the server JVM's -Xmx), {@code --out FILE},
 * {@code --micro false} (skip the JMH micro-benchmarks, {@link MicroBench}, that otherwise end the run),
 * {@code --naive false} (skip the tutorial handler, e.g. to profile the server JVM with ours alone),
 * {@code --mapping legacy-order} (alipay-notify pays the orders of examples/legacy-order: its t_order table and its
 * order.* statements, to measure what the mapping costs; the ceiling and the tutorial handler are unchanged).
 * Database: ALIPAY_NOTIFY_BENCH_DB_URL (default jdbc:mysql://127.0.0.1:3306/, user root without password); when
 * that variable is unset and nothing answers there, an embedded MariaDB under target/bench/mariadb.
 */
public final class Benchmark {
    static final String APP_ID = "2021000000000001";
    static final Duration IDLE_AFTER_WARM_UP = Duration.ofSeconds(15);
    private static final Pattern STEP_SUM = Pattern.compile(
            "alipay_notify_step_duration_seconds_sum\\{step=\"(\\w+)\"} ([0-9.Ee+-]+)");

    private final Options options;
    private final String dbUrl;
    private final Path work;
    private final List<String> report = new ArrayList<>();

    private Benchmark(Options options, String dbUrl, Path work) {
        this.options = options;
        this.dbUrl = dbUrl;
        this.work = work;
    }

    /** The command line. */
    record Options(Path war, int pool, int[] levels, double scale, String heap, Path out, boolean micro,
            boolean naive, String mapping) {
        static Options parse(String[] args) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 == args.length) {
                    throw new IllegalArgumentException("usage: bench [--war PATH] [--pool N] [--levels 1,8,32,128]"
                            + " [--scale F] [--heap 256m] [--out FILE] [--micro false] [--naive false]"
                            + " [--mapping legacy-order]; got '" + args[i] + "'");
                }
                m.put(args[i].substring(2), args[++i]);
            }
            int[] levels = java.util.Arrays.stream(m.getOrDefault("levels", "1,8,32,128").split(","))
                    .mapToInt(Integer::parseInt).toArray();
            return new Options(Path.of(m.getOrDefault("war", "target/alipay-notify.war")),
                    Integer.parseInt(m.getOrDefault("pool", Integer.toString(Settings.DEFAULT_POOL_SIZE))), levels,
                    Double.parseDouble(m.getOrDefault("scale", "1")), m.getOrDefault("heap", "256m"),
                    Path.of(m.getOrDefault("out", "target/bench/results.md")),
                    Boolean.parseBoolean(m.getOrDefault("micro", "true")),
                    Boolean.parseBoolean(m.getOrDefault("naive", "true")), mapping(m.get("mapping")));
        }

        private static String mapping(String name) {
            if (name != null && !Files.isRegularFile(Path.of("examples", name, "alipay-notify.properties"))) {
                throw new IllegalArgumentException("--mapping " + name + ": no examples/" + name
                        + "/alipay-notify.properties");
            }
            return name;
        }

        Path example(String file) {
            return Path.of("examples", mapping, file);
        }
    }

    /** Requests per phase at a concurrency: enough for a stable rate and p99.9, few enough for a 10-minute run. */
    private int count(String system, int concurrency) {
        int base = concurrency == 1 ? 1_000 : concurrency <= 8 ? 5_000 : 10_000;
        if (system.equals("naive")) {
            base = concurrency == 1 ? 300 : 2_000; // it is several times slower
        }
        return Math.max(50, (int) (base * options.scale()));
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (!Files.isRegularFile(options.war())) {
            throw new IllegalStateException(options.war() + " is missing: build it with mvn package");
        }
        Path work = Path.of("target/bench").toAbsolutePath();
        Files.createDirectories(work);
        String configured = System.getenv("ALIPAY_NOTIFY_BENCH_DB_URL");
        String server = configured != null ? configured : "jdbc:mysql://127.0.0.1:3306/";
        EmbeddedMariaDb embedded = null;
        if (configured == null && !answers(server)) {
            System.err.println("No database at " + server + " (set ALIPAY_NOTIFY_BENCH_DB_URL to use another):"
                    + " starting an embedded MariaDB under " + work.resolve("mariadb"));
            embedded = EmbeddedMariaDb.start(work.resolve("mariadb"), 0);
            server = embedded.serverUrl();
        }
        String name = "alipay_bench_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
        try (Connection c = DriverManager.getConnection(server, "root", ""); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        }
        try {
            new Benchmark(options, server + name, work).run();
        } finally {
            try (Connection c = DriverManager.getConnection(server, "root", ""); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + name);
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static boolean answers(String url) {
        try (Connection c = DriverManager.getConnection(url, "root", "")) {
            return c.isValid(2);
        } catch (Exception e) {
            return false;
        }
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        SandboxKeys keys = SandboxKeys.generate();
        Path cert = keys.writeCertificate(work.resolve("alipayCertPublicKey_RSA2.crt"));
        try (Connection c = DriverManager.getConnection(dbUrl, "root", "")) {
            c.setAutoCommit(false);
            Migrations.fromClassPath().apply(c);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE naive_order (out_trade_no VARCHAR(64) NOT NULL PRIMARY KEY,"
                        + " total_amount DECIMAL(12,2) NOT NULL, trade_status VARCHAR(32) NOT NULL DEFAULT"
                        + " 'WAIT_BUYER_PAY', trade_no VARCHAR(64) NULL) ENGINE=InnoDB");
                if (options.mapping() != null) {
                    st.execute(Files.readString(options.example("t_order.sql")).replaceAll("(?m)^--.*$", ""));
                }
            }
            c.commit();
        }

        // Every phase gets notifications of its own (distinct notify_id and order), signed before any clock runs.
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        Map<String, List<byte[]>> bodies = new LinkedHashMap<>();
        // Warm-up: enough for C2 to finish compiling the request path. Measured: a method called once per request
        // reaches C2 after about 15,000 calls (Tier4CompileThreshold); after 30,000 applied notifications (and 60,000
        // more acknowledged as duplicates) the server JVM still needed about 25,000 applied ones before its CPU per
        // notification stopped falling (778 -> 539 -> 401 µs over three consecutive phases at the same concurrency).
        bodies.put("warm-up", sign(signer, "w", Math.max(1_000, (int) (60_000 * options.scale()))));
        for (int c : options.levels()) {
            bodies.put("c" + c, sign(signer, "c" + c, count("ours", c)));
        }
        createOrders(bodies);
        if (options.mapping() != null) {
            note("alipay-notify pays t_order through the order.* statements of examples/" + options.mapping());
        }
        note("signed " + bodies.values().stream().mapToInt(List::size).sum() + " notifications in "
                + seconds(started) + " s");

        List<Row> rows = new ArrayList<>();
        Map<Integer, Shares> shares = new LinkedHashMap<>();
        // The ceiling first, with no server JVM running, all levels on one warmed pool, closed before the naive
        // handler needs up to 128 connections of its own (MySQL's default max_connections is 151).
        List<byte[]> warmUp = bodies.get("warm-up");
        try (HikariDataSource pool = ceilingPool()) {
            Cpu cpu = new Cpu(-1);
            ceiling(pool, warmUp.subList(0, warmUp.size() / 2), 16, "cw"); // JIT, pool, caches: not reported
            for (int c : options.levels()) {
                cpu.start();
                Latencies ceil = ceiling(pool, bodies.get("c" + c), c, "c" + c);
                rows.add(new Row("ceiling", c, ceil, cpu.stop(ceil.count())));
            }
        }

        // alipay-notify: the WAR alone in its server JVM. With the reference handlers in the same JVM, every switch
        // of handler made the JIT recompile the container's call sites, and whichever level ran last was the
        // fastest, by up to 1.5x; alone, it runs as in production.
        String heapLine;
        int port = freePort();
        Process server = startServer("war", cert, port);
        try {
            awaitReady(port, "/alipay/health", server);
            Cpu cpu = new Cpu(server.pid());
            LoadGenerator.Run warm = LoadGenerator.run(port, requests(port, "/alipay/notify", warmUp), 32);
            if (warm.notSuccess() > 0) {
                throw new IllegalStateException("warm-up: " + warm.notSuccess() + " not answered 200 success;"
                        + " first: " + warm.firstFailure());
            }
            idleForTheCompiler();
            stats(port, true);
            long gcBefore = stats(port, false).get("gc_count");
            long gcMsBefore = stats(port, false).get("gc_ms");
            for (int c : options.levels()) {
                List<byte[]> requests = requests(port, "/alipay/notify", bodies.get("c" + c));
                Map<String, Double> before = stepSums(port);
                cpu.start();
                LoadGenerator.Run ours = LoadGenerator.run(port, requests, c);
                rows.add(new Row("alipay-notify", c, ours.latencies(), cpu.stop(requests.size())));
                if (ours.notSuccess() > 0) {
                    throw new IllegalStateException(ours.notSuccess() + " notifications at concurrency " + c
                            + " were not answered 200 success; first: " + ours.firstFailure()
                            + " (see target/bench/server-war.log)");
                }
                shares.put(c, Shares.of(before, stepSums(port), ours.latencies()));
            }
            Map<String, Long> end = stats(port, false);
            heapLine = String.format(Locale.ROOT, "| %s | %.0f | %.0f | %d | %d |", options.heap(),
                    end.get("heap_peak_used") / 1048576.0, end.get("heap_peak_after_gc") / 1048576.0,
                    end.get("gc_count") - gcBefore, end.get("gc_ms") - gcMsBefore);
        } finally {
            stop(server);
        }

        // The references, in a server JVM of their own: the empty handler and the tutorial handler.
        port = freePort();
        server = startServer("reference", cert, port);
        try {
            awaitReady(port, "/bench/stats", server);
            Cpu cpu = new Cpu(server.pid());
            LoadGenerator.run(port, requests(port, "/bench/empty", warmUp), 32);
            if (options.naive()) {
                LoadGenerator.run(port, requests(port, "/naive/notify",
                        warmUp.subList(0, Math.min(3_000, warmUp.size()))), 8);
            }
            idleForTheCompiler();
            for (int c : options.levels()) {
                List<byte[]> mine = bodies.get("c" + c);
                cpu.start();
                LoadGenerator.Run empty = LoadGenerator.run(port, requests(port, "/bench/empty", mine), c);
                rows.add(new Row("empty handler", c, empty.latencies(), cpu.stop(mine.size())));
                if (!options.naive()) {
                    continue;
                }
                List<byte[]> naiveBodies = mine.subList(0, Math.min(mine.size(), count("naive", c)));
                cpu.start();
                LoadGenerator.Run naive = LoadGenerator.run(port, requests(port, "/naive/notify", naiveBodies), c);
                rows.add(new Row("naive", c, naive.latencies(), cpu.stop(naiveBodies.size())));
                if (naive.notSuccess() > 0) {
                    note("naive handler at concurrency " + c + ": " + naive.notSuccess() + " of "
                            + naiveBodies.size() + " not answered success (" + naive.firstFailure() + ")");
                }
            }
        } finally {
            stop(server);
        }
        String check = exactlyOnce(bodies);
        // After the server has stopped, so that nothing else competes for the cores.
        String micro = options.micro() ? MicroBench.table(MicroBench.run()) : "(skipped: --micro false)\n";
        print(rows, shares, heapLine, check, micro, seconds(started));
    }

    // ---- preparation ----

    /** The micro-benchmarks' notification, made distinct: its own notify_id, order and trade number. */
    private List<byte[]> sign(AlipaySigner signer, String phase, int n) {
        return IntStream.range(0, n).parallel().mapToObj(i -> {
            Map<String, String> p = MicroBenchFixture.tradeSuccess();
            p.put("notify_id", "2026112500222100001" + phase + "x" + i);
            p.put("out_trade_no", "bench-" + phase + "-" + i);
            p.put("trade_no", "2026112522001446881" + i);
            return AlipaySigner.formBody(signer.signed(p));
        }).toList();
    }

    /**
     * The orders the notifications pay: in alipay_order (ours, or t_order with --mapping, and the ceiling's) and
     * naive_order.
     */
    private void createOrders(Map<String, List<byte[]>> bodies) throws Exception {
        boolean mapped = options.mapping() != null;
        try (Connection c = DriverManager.getConnection(dbUrl + "?rewriteBatchedStatements=true", "root", "")) {
            c.setAutoCommit(false);
            for (String table : mapped ? List.of("alipay_order", "naive_order", "t_order")
                    : List.of("alipay_order", "naive_order")) {
                try (PreparedStatement ps = c.prepareStatement(table.equals("t_order")
                        ? "INSERT INTO t_order (order_no, user_id, amount_fen) VALUES (?, 1, 8880)"
                        : "INSERT INTO " + table + " (out_trade_no, total_amount) VALUES (?, 88.80)")) {
                    for (Map.Entry<String, List<byte[]>> e : bodies.entrySet()) {
                        String phase = e.getKey().equals("warm-up") ? "w" : e.getKey();
                        for (int i = 0; i < e.getValue().size(); i++) {
                            if (!(mapped && table.equals("alipay_order"))) {
                                ps.setString(1, "bench-" + phase + "-" + i);
                                ps.addBatch();
                            }
                            if (table.equals("alipay_order")) {
                                ps.setString(1, "ceil-" + (phase.equals("w") ? "cw" : phase) + "-" + i);
                                ps.addBatch();
                            }
                        }
                        ps.executeBatch();
                    }
                }
            }
            c.commit();
        }
    }

    private static List<byte[]> requests(int port, String path, List<byte[]> bodies) {
        List<byte[]> out = new ArrayList<>(bodies.size());
        for (byte[] b : bodies) {
            out.add(LoadGenerator.post(port, path, b));
        }
        return out;
    }

    // ---- the ceiling ----

    /**
     * The bare transaction shape, in plain JDBC through a pool of the same size: lock the order row, insert the
     * notification record (the same 1.2 KB bodies), update the order, commit. {@code concurrency} threads.
     */
    private HikariDataSource ceilingPool() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(dbUrl);
        config.setUsername("root");
        config.setPassword("");
        config.setMaximumPoolSize(options.pool());
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.addDataSourceProperty("cachePrepStmts", "true");
        return new HikariDataSource(config);
    }

    private static Latencies ceiling(HikariDataSource pool, List<byte[]> bodies, int concurrency, String phase)
            throws Exception {
        long[] nanos = new long[bodies.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failed = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = next.getAndIncrement(); i < nanos.length; i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        transaction(pool, "ceil-" + phase + "-" + i, bodies.get(i));
                        nanos[i] = System.nanoTime() - t0;
                    }
                } catch (Exception e) {
                    failed.compareAndSet(null, e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        long started = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        long wall = System.nanoTime() - started;
        if (failed.get() != null) {
            throw new IllegalStateException("ceiling transaction failed", failed.get());
        }
        return new Latencies(nanos, wall);
    }

    private static void transaction(HikariDataSource pool, String order, byte[] body) throws Exception {
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT out_trade_no, total_amount, trade_status"
                    + " FROM alipay_order WHERE out_trade_no = ? FOR UPDATE")) {
                ps.setString(1, order);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no order " + order);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alipay_notify (notify_id, out_trade_no,"
                    + " trade_status, outcome, charset, raw_body) VALUES (?, ?, 'TRADE_SUCCESS', 'APPLIED', 'utf-8', ?)")) {
                ps.setString(1, order);
                ps.setString(2, order);
                ps.setBytes(3, body);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE alipay_order SET trade_status = 'TRADE_SUCCESS',"
                    + " paid = 1, last_notify_id = ? WHERE out_trade_no = ?")) {
                ps.setString(1, order);
                ps.setString(2, order);
                ps.executeUpdate();
            }
            c.commit();
        }
    }

    // ---- the server JVM ----

    /**
     * Under load the C2 compiler thread gets a small share of the two cores; its queue drains when the request
     * threads stop.
     */
    private static void idleForTheCompiler() throws InterruptedException {
        Thread.sleep(IDLE_AFTER_WARM_UP.toMillis());
    }

    private static void stop(Process server) throws InterruptedException {
        server.destroy();
        if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            server.destroyForcibly();
        }
    }

    /** @param mode {@code war} (the WAR alone) or {@code reference} (the empty and the tutorial handler) */
    private Process startServer(String mode, Path cert, int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + options.heap(), "-Xms" + options.heap()));
        String extra = System.getenv("ALIPAY_NOTIFY_BENCH_SERVER_JVM_ARGS"); // e.g. a JFR recording, for profiling
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of(
                "-Dalipay.app-id=" + APP_ID, "-Dalipay.seller-id=" + SandboxKeys.PID,
                "-Dalipay.cert-path=" + cert, "-Ddb.url=" + dbUrl, "-Ddb.user=root",
                "-Ddb.pool-size=" + options.pool()));
        if (options.mapping() != null && mode.equals("war")) {
            java.util.Properties order = new java.util.Properties();
            try (var in = Files.newBufferedReader(options.example("alipay-notify.properties"))) {
                order.load(in);
            }
            order.stringPropertyNames().stream().sorted().forEach(k -> cmd.add("-D" + k + "=" + order.getProperty(k)));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchServer.class.getName(), mode,
                options.war().toAbsolutePath().toString(), Integer.toString(port), cert.toString(), dbUrl));
        Path log = work.resolve("server-" + mode + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitReady(int port, String path, Process server) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server JVM exited; see target/bench/server-*.log");
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the server did not become ready in 90 s; see target/bench/server-*.log");
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static Map<String, Long> stats(int port, boolean reset) throws Exception {
        Map<String, Long> m = new HashMap<>();
        for (String line : get(port, "/bench/stats" + (reset ? "?reset=1" : "")).split("\n")) {
            String[] kv = line.split(" ");
            m.put(kv[0], Long.parseLong(kv[1]));
        }
        return m;
    }

    private static Map<String, Double> stepSums(int port) throws Exception {
        Map<String, Double> m = new HashMap<>();
        Matcher matcher = STEP_SUM.matcher(get(port, "/alipay/metrics"));
        while (matcher.find()) {
            m.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
        }
        return m;
    }

    // ---- results ----

    /**
     * CPU time spent during a phase by the server JVM, the database server and this JVM (load generator or ceiling),
     * user and kernel, from /proc (Linux): the three share the machine's cores, so their sum per operation is what
     * bounds the rate.
     */
    static final class Cpu {
        private final long[] pids;
        private long[][] start;

        Cpu(long serverPid) throws IOException {
            this.pids = new long[] {serverPid, mariadbPid(), ProcessHandle.current().pid()};
        }

        void start() {
            start = read();
        }

        /** Per operation, for server, database and client: {user µs, kernel µs}; NaN where unknown. */
        double[][] stop(int operations) {
            long[][] end = read();
            double[][] out = new double[3][2];
            for (int i = 0; i < 3; i++) {
                for (int k = 0; k < 2; k++) {
                    out[i][k] = end[i][k] < 0 ? Double.NaN : (end[i][k] - start[i][k]) / 1e3 / operations;
                }
            }
            return out;
        }

        private long[][] read() {
            long[][] r = new long[3][];
            for (int i = 0; i < 3; i++) {
                r[i] = cpuNanos(pids[i]);
            }
            return r;
        }

        /** The local mariadbd (or mysqld), or -1 when there is none to read. */
        private static long mariadbPid() throws IOException {
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    if (p.getFileName().toString().matches("\\d+")) {
                        try {
                            String comm = Files.readString(p.resolve("comm")).strip();
                            if (comm.equals("mariadbd") || comm.equals("mysqld")) {
                                return Long.parseLong(p.getFileName().toString());
                            }
                        } catch (IOException gone) {
                            // the process ended while we looked
                        }
                    }
                }
            } catch (IOException noProc) {
                return -1;
            }
            return -1;
        }

        /** {user, kernel} nanoseconds of a process so far; {-1, -1} when unreadable. */
        private static long[] cpuNanos(long pid) {
            if (pid < 0) {
                return new long[] {-1, -1};
            }
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second)
                return new long[] {Long.parseLong(f[11]) * 10_000_000L, Long.parseLong(f[12]) * 10_000_000L};
            } catch (IOException | RuntimeException e) {
                return new long[] {-1, -1};
            }
        }
    }

    record Row(String system, int concurrency, Latencies latencies, double[][] cpuMicros) {
    }

    /** Where the client-measured time of our requests went, from the webapp's step timers. */
    record Shares(double parse, double verify, double database, double rest) {
        static Shares of(Map<String, Double> before, Map<String, Double> after, Latencies client) {
            double total = client.sumSeconds();
            double parse = delta(before, after, "parse") / total;
            double verify = delta(before, after, "verify") / total;
            double database = delta(before, after, "database") / total;
            return new Shares(parse, verify, database, 1 - parse - verify - database);
        }

        private static double delta(Map<String, Double> before, Map<String, Double> after, String step) {
            return after.getOrDefault(step, 0.0) - before.getOrDefault(step, 0.0);
        }
    }

    /** Every notification sent to alipay-notify is recorded exactly once and its order is paid. */
    private String exactlyOnce(Map<String, List<byte[]>> bodies) throws Exception {
        int sent = bodies.values().stream().mapToInt(List::size).sum();
        try (Connection c = DriverManager.getConnection(dbUrl, "root", ""); Statement st = c.createStatement()) {
            long records;
            long distinct;
            long orders;
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(DISTINCT notify_id), COUNT(DISTINCT"
                    + " out_trade_no) FROM alipay_notify WHERE out_trade_no LIKE 'bench-%'")) {
                rs.next();
                records = rs.getLong(1);
                distinct = rs.getLong(2);
                orders = rs.getLong(3);
            }
            long paid;
            try (ResultSet rs = st.executeQuery(options.mapping() != null
                    ? "SELECT COUNT(*) FROM t_order WHERE order_no LIKE 'bench-%' AND status = 1"
                            + " AND alipay_trade_no IS NOT NULL AND paid_at IS NOT NULL"
                    : "SELECT COUNT(*) FROM alipay_order WHERE out_trade_no LIKE 'bench-%'"
                            + " AND trade_status = 'TRADE_SUCCESS' AND paid = 1 AND last_notify_id IS NOT NULL")) {
                rs.next();
                paid = rs.getLong(1);
            }
            boolean ok = records == sent && distinct == sent && orders == sent && paid == sent;
            String line = (ok ? "PASS" : "FAIL") + ": " + sent + " notifications sent to alipay-notify (warm-up"
                    + " included), all answered 200 success; " + records + " records, " + distinct
                    + " distinct notify_id, " + orders + " orders with a record, " + paid + " orders paid";
            if (!ok) {
                System.out.println(line);
                throw new IllegalStateException("exactly-once check failed: " + line);
            }
            return line;
        }
    }

    private void print(List<Row> rows, Map<Integer, Shares> shares, String heapLine, String check, String micro,
            String totalSeconds) throws Exception {
        List<String> out = new ArrayList<>();
        out.add("## Results (" + LocalDateTime.now().withNano(0) + ")");
        out.add("");
        out.add(machine());
        out.add("");
        out.add("### Throughput and ratios");
        out.add("");
        out.add("| concurrency | ceiling tx/s | empty handler /s | alipay-notify /s | naive /s | ours / ceiling |"
                + " ours / naive |");
        out.add("|---:|---:|---:|---:|---:|---:|---:|");
        for (int c : options.levels()) {
            double ceil = find(rows, "ceiling", c).latencies().perSecond();
            double empty = find(rows, "empty handler", c).latencies().perSecond();
            double ours = find(rows, "alipay-notify", c).latencies().perSecond();
            double naive = options.naive() ? find(rows, "naive", c).latencies().perSecond() : Double.NaN;
            out.add(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f |", c, ceil, empty, ours,
                    naive, ours / ceil, ours / naive));
        }
        out.add("");
        out.add("### Latency and CPU per operation");
        out.add("");
        out.add("| system | concurrency | requests | per s | p50 ms | p99 ms | p99.9 ms | CPU µs per op: server JVM |"
                + " database | client JVM | all three | of it kernel |");
        out.add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            Latencies l = r.latencies();
            double[][] cpu = r.cpuMicros();
            boolean ceiling = r.system().equals("ceiling"); // the server JVM idles then: not counted
            double total = (ceiling ? 0 : cpu[0][0] + cpu[0][1]) + cpu[1][0] + cpu[1][1] + cpu[2][0] + cpu[2][1];
            double kernel = (ceiling ? 0 : cpu[0][1]) + cpu[1][1] + cpu[2][1];
            out.add(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %s | %.0f | %.0f | %.0f"
                    + " | %.0f%% |", r.system(), r.concurrency(), l.count(), l.perSecond(), l.percentileMs(50),
                    l.percentileMs(99), l.percentileMs(99.9),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.0f", cpu[0][0] + cpu[0][1]), cpu[1][0] + cpu[1][1],
                    cpu[2][0] + cpu[2][1], total, 100 * kernel / total));
        }
        out.add("");
        out.add("### Where an alipay-notify request's time goes (share of client-measured latency)");
        out.add("");
        out.add("| concurrency | parse | verify | database (incl. waiting for a connection) | rest (HTTP, container,"
                + " check, logging, queueing) |");
        out.add("|---:|---:|---:|---:|---:|");
        shares.forEach((c, s) -> out.add(String.format(Locale.ROOT, "| %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% |",
                c, 100 * s.parse(), 100 * s.verify(), 100 * s.database(), 100 * s.rest())));
        out.add("");
        out.add("### Server JVM heap (whole measured run, after warm-up)");
        out.add("");
        out.add("| -Xmx | peak used MB (garbage incl.) | peak after GC MB | GCs | GC ms |");
        out.add("|---:|---:|---:|---:|---:|");
        out.add(heapLine);
        out.add("");
        out.add("Exactly once: " + check);
        out.add("");
        out.add("### Micro-benchmarks (JMH, one thread, one fork, 3 x 1 s warm-up, 5 x 1 s measured)");
        out.add("");
        out.add(micro);
        report.forEach(n -> out.add("Note: " + n));
        out.add("Whole run (after the build): " + totalSeconds + " s.");
        String text = String.join("\n", out) + "\n";
        System.out.println();
        System.out.print(text);
        Files.createDirectories(options.out().toAbsolutePath().getParent());
        Files.writeString(options.out(), text, StandardCharsets.UTF_8);
        System.out.println("(also written to " + options.out() + ")");
    }

    private String machine() throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        String version;
        String flush;
        try (Connection c = DriverManager.getConnection(dbUrl, "root", ""); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@sync_binlog,"
                        + " @@log_bin")) {
            rs.next();
            version = rs.getString(1);
            flush = "innodb_flush_log_at_trx_commit=" + rs.getString(2) + ", sync_binlog=" + rs.getString(3)
                    + ", log_bin=" + rs.getString(4);
        }
        return "Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java "
                + System.getProperty("java.version") + ", database " + version + " (" + flush + "); pool "
                + options.pool() + " connections for the webapp and for the ceiling; server JVM -Xmx" + options.heap()
                + "; load generator, server JVM and database on the same machine.";
    }

    private static Row find(List<Row> rows, String system, int c) {
        return rows.stream().filter(r -> r.system().equals(system) && r.concurrency() == c).findFirst()
                .orElseThrow();
    }

    private void note(String line) {
        System.err.println(line);
        report.add(line);
    }

    private static String seconds(long startedNanos) {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
