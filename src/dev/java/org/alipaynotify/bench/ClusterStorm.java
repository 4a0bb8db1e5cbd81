package org.alipaynotify.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;

/**
 * The client of {@code deploy/test-galera.sh}: signs trade notifications like Alipay, creates their orders, and sends
 * them to several alipay-notify instances (each on its own database node) in one of three shapes:
 * <ul>
 * <li>{@code duplicates}: each notification delivered {@code --copies} times at the same instant, spread over the
 * instances;</li>
 * <li>{@code race}: a TRADE_SUCCESS and a TRADE_FINISHED of one order released together on different instances,
 * each with a duplicate on the third;</li>
 * <li>{@code steady}: orders released at {@code --rate} per second (open loop, so a stalled server does not slow the
 * storm down), each notification delivered {@code --copies} times at once (with {@code --same-instance true} all to
 * one instance, so that every failure is the node loss's and none a certification conflict), while the script kills
 * a node.</li>
 * </ul>
 * Every delivery answered anything but {@code 200 success} is redelivered the way Alipay does it (its schedule 4m,
 * 10m, 10m, 1h, 2h, 6h, 15h divided by {@code --time-scale}, 8 tries in all) to the next instance, as a load balancer
 * would send it, until one is answered success. Each first delivery and each redelivery is one line of
 * {@code deliveries.tsv}; {@code sent.txt} and {@code acked.txt} list the notify_ids sent and acknowledged, and
 * {@code summary.txt} has the counts and times (key=value) that the script checks. Nothing is judged here: the
 * script decides what must hold.
 */
public final class ClusterStorm {
    /** Alipay's waits between tries (8 tries over about 25 hours), in milliseconds before scaling. */
    static final long[] ALIPAY_SCHEDULE_MS = {240_000, 600_000, 600_000, 3_600_000, 7_200_000, 21_600_000, 54_000_000};

    private record Notification(String notifyId, String order, byte[] body) {
    }

    /** One delivery chain: a notification sent to one instance, then redelivered until answered success. */
    private static final class Chain {
        final Notification n;
        final int firstTarget;
        volatile boolean acked;
        volatile int attempts;

        Chain(Notification n, int firstTarget) {
            this.n = n;
            this.firstTarget = firstTarget;
        }
    }

    private record Delivery(Chain chain, int attempt, int target, long sentMs, long nanos, int status, String answer,
            String error) {
        boolean success() {
            return status == 200 && "success".equals(answer);
        }
    }

    private final Map<String, String> opt;
    private final List<URI> targets;
    private final long timeScale;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final ExecutorService senders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "storm-sender");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "storm-timer");
        t.setDaemon(true);
        return t;
    });
    private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger exhausted = new AtomicInteger();
    private CountDownLatch chainsDone;

    private ClusterStorm(Map<String, String> opt) {
        this.opt = opt;
        this.targets = Arrays.stream(required("targets").split(",")).map(URI::create).toList();
        this.timeScale = Long.parseLong(opt.getOrDefault("time-scale", "1000"));
        this.requestTimeout = Duration.ofMillis(Long.parseLong(opt.getOrDefault("request-timeout-ms", "30000")));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("usage: ClusterStorm --scenario duplicates|race|steady --targets URL,..."
                    + " --db JDBC_URL,... --key PKCS8.pem --prefix P --orders N [--copies K] [--rate R]"
                    + " [--same-instance true] [--in-flight G] [--time-scale 1000] [--request-timeout-ms 30000]"
                    + " --out DIR");
        }
        new ClusterStorm(opt).run();
        System.exit(0);
    }

    private String required(String key) {
        String v = opt.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    private int number(String key, int fallback) {
        return Integer.parseInt(opt.getOrDefault(key, Integer.toString(fallback)));
    }

    private void run() throws Exception {
        String scenario = required("scenario");
        String prefix = required("prefix");
        int orders = number("orders", 100);
        Path out = Path.of(required("out"));
        Files.createDirectories(out);
        AlipaySigner signer = new AlipaySigner(SandboxKeys.readPrivateKey(Path.of(required("key"))));

        // What each order receives, signed before anything is sent.
        List<List<Notification>> perOrder = IntStream.range(0, orders).parallel().mapToObj(i -> {
            String order = prefix + "-" + i;
            List<Notification> list = new ArrayList<>();
            list.add(sign(signer, order, prefix + "s" + i, "TRADE_SUCCESS"));
            if (scenario.equals("race")) {
                list.add(sign(signer, order, prefix + "f" + i, "TRADE_FINISHED"));
            }
            return list;
        }).toList();
        createOrders(perOrder.stream().map(l -> l.get(0).order()).toList());

        // The groups of first deliveries: which notification goes to which instance, all of a group at once.
        int t = targets.size();
        int copies = number("copies", scenario.equals("duplicates") ? 2 * t : 2);
        List<List<Chain>> groups = new ArrayList<>();
        for (int i = 0; i < orders; i++) {
            List<Notification> ns = perOrder.get(i);
            List<Chain> g = new ArrayList<>();
            if (scenario.equals("race")) {
                // the two notifications on two different instances at once, and a duplicate of each on the third
                g.add(new Chain(ns.get(0), i % t));
                g.add(new Chain(ns.get(1), (i + 1) % t));
                g.add(new Chain(ns.get(0), (i + 2) % t));
                g.add(new Chain(ns.get(1), (i + 2) % t));
            } else {
                // --same-instance true: the copies of one notification all go to one instance (they serialize on its
                // node's row lock and never meet at certification), the next notification to the next instance
                boolean same = Boolean.parseBoolean(opt.getOrDefault("same-instance", "false"));
                for (int c = 0; c < copies; c++) {
                    g.add(new Chain(ns.get(0), (i + (same ? 0 : c)) % t));
                }
            }
            groups.add(g);
        }
        int chains = groups.stream().mapToInt(List::size).sum();
        chainsDone = new CountDownLatch(chains);
        List<String> sent = perOrder.stream().flatMap(List::stream).map(Notification::notifyId).sorted().toList();
        Files.write(out.resolve("sent.txt"), sent);

        long started = System.currentTimeMillis();
        Files.writeString(out.resolve("started"), Long.toString(started));
        System.out.printf(Locale.ROOT, "%s: %d orders, %d notifications, %d delivery chains to %d instances%n",
                scenario, orders, sent.size(), chains, t);
        if (scenario.equals("steady")) {
            // open loop: group i is released at started + i / rate, whatever the answers
            double rate = Double.parseDouble(opt.getOrDefault("rate", "20"));
            for (int i = 0; i < groups.size(); i++) {
                long due = started + (long) (i * 1000 / rate);
                long wait = due - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                release(groups.get(i), null);
            }
        } else {
            // closed loop: at most --in-flight groups whose first deliveries are unanswered
            Semaphore inFlight = new Semaphore(number("in-flight", 4));
            for (List<Chain> g : groups) {
                inFlight.acquire();
                release(g, inFlight);
            }
        }
        long released = System.currentTimeMillis();
        // every chain ends acknowledged or after its 8th try; the longest schedule scaled, plus answer times
        long worst = Arrays.stream(ALIPAY_SCHEDULE_MS).sum() / timeScale + 8 * requestTimeout.toMillis() + 10_000;
        boolean finished = chainsDone.await(worst, TimeUnit.MILLISECONDS);
        long ended = System.currentTimeMillis();
        summarize(out, sent, started, released, ended, finished);
    }

    private Notification sign(AlipaySigner signer, String order, String notifyId, String status) {
        Map<String, String> p = MicroBenchFixture.tradeSuccess();
        p.put("notify_id", notifyId);
        p.put("out_trade_no", order);
        p.put("trade_no", "2026120222001" + Math.abs(order.hashCode()));
        p.put("trade_status", status);
        return new Notification(notifyId, order, AlipaySigner.formBody(signer.signed(p)));
    }

    /** Inserts the orders on the first node, then waits until every node sees them (Galera: wsrep_sync_wait). */
    private void createOrders(List<String> orders) throws SQLException {
        String[] urls = required("db").split(",");
        try (Connection c = DriverManager.getConnection(urls[0] + "?rewriteBatchedStatements=true", "root", "")) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, 88.80)")) {
                for (String o : orders) {
                    ps.setString(1, o);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        }
        for (String url : urls) {
            try (Connection c = DriverManager.getConnection(url, "root", ""); Statement st = c.createStatement()) {
                st.execute("SET SESSION wsrep_sync_wait = 1"); // reads wait until this node applied what came before
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM alipay_order WHERE out_trade_no LIKE '"
                        + required("prefix") + "-%'")) {
                    rs.next();
                    if (rs.getInt(1) != orders.size()) {
                        throw new IllegalStateException(url + " sees " + rs.getInt(1) + " of " + orders.size()
                                + " orders");
                    }
                }
            }
        }
    }

    /** Sends the group's first deliveries at the same instant; frees a place in flight once all are answered. */
    private void release(List<Chain> group, Semaphore inFlight) {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger unanswered = new AtomicInteger(group.size());
        for (Chain c : group) {
            senders.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                deliver(c, 1, c.firstTarget);
                if (unanswered.decrementAndGet() == 0 && inFlight != null) {
                    inFlight.release();
                }
            });
        }
        gate.countDown();
    }

    /** One try of a chain, in the calling thread; a failure schedules the next try on the next instance. */
    private void deliver(Chain c, int attempt, int target) {
        c.attempts = attempt;
        long sent = System.currentTimeMillis();
        long t0 = System.nanoTime();
        int status;
        String answer = "";
        String error = "";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(targets.get(target)).timeout(requestTimeout)
                    .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(c.n.body())).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
            status = r.statusCode();
            answer = r.body();
        } catch (HttpTimeoutException e) {
            status = -1; // no answer within the request timeout: a hang
            error = e.toString();
        } catch (IOException e) {
            status = 0;
            error = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Delivery d = new Delivery(c, attempt, target, sent, System.nanoTime() - t0, status, answer, error);
        deliveries.add(d);
        if (d.success()) {
            c.acked = true;
            acked.add(c.n.notifyId());
            chainsDone.countDown();
        } else if (attempt > ALIPAY_SCHEDULE_MS.length) {
            exhausted.incrementAndGet(); // Alipay would give up here: the script fails the run
            chainsDone.countDown();
        } else {
            int next = (target + 1) % targets.size();
            timer.schedule(() -> senders.execute(() -> deliver(c, attempt + 1, next)),
                    ALIPAY_SCHEDULE_MS[attempt - 1] / timeScale, TimeUnit.MILLISECONDS);
        }
    }

    private void summarize(Path out, List<String> sent, long started, long released, long ended, boolean finished)
            throws IOException {
        List<Delivery> all = new ArrayList<>(deliveries);
        all.sort((a, b) -> Long.compare(a.sentMs(), b.sentMs()));
        List<String> lines = new ArrayList<>();
        lines.add("notify_id\tout_trade_no\tfirst_target\tattempt\ttarget\tsent_ms\telapsed_ms\thttp\tanswer\terror");
        for (Delivery d : all) {
            lines.add(String.join("\t", d.chain().n.notifyId(), d.chain().n.order(),
                    Integer.toString(d.chain().firstTarget + 1), Integer.toString(d.attempt()),
                    Integer.toString(d.target() + 1), Long.toString(d.sentMs()),
                    String.format(Locale.ROOT, "%.1f", d.nanos() / 1e6), Integer.toString(d.status()),
                    d.answer().replaceAll("\\s", "_"), d.error().replaceAll("[\\t\\n]", " ")));
        }
        Files.write(out.resolve("deliveries.tsv"), lines);
        Files.write(out.resolve("acked.txt"), new TreeSet<>(acked));

        Map<String, Object> s = new LinkedHashMap<>();
        s.put("finished", finished ? "yes" : "no");
        s.put("notifications", sent.size());
        s.put("acked_notifications", acked.size());
        long chains = all.stream().map(Delivery::chain).distinct().count();
        s.put("chains", chains);
        s.put("chains_acked", all.stream().map(Delivery::chain).distinct().filter(c -> c.acked).count());
        s.put("chains_exhausted", exhausted.get());
        s.put("deliveries", all.size());
        List<Delivery> first = all.stream().filter(d -> d.attempt() == 1).toList();
        s.put("first_deliveries", first.size());
        s.put("first_failed", first.stream().filter(d -> !d.success()).count());
        s.put("redeliveries", all.size() - first.size());
        s.put("max_attempts", all.stream().mapToInt(Delivery::attempt).max().orElse(0));
        s.put("answered_success", all.stream().filter(Delivery::success).count());
        s.put("answered_503", all.stream().filter(d -> d.status() == 503).count());
        s.put("answered_500", all.stream().filter(d -> d.status() == 500).count());
        s.put("answered_other", all.stream().filter(d -> d.status() > 0 && !d.success() && d.status() != 503
                && d.status() != 500).count());
        s.put("timeouts", all.stream().filter(d -> d.status() == -1).count());
        s.put("io_errors", all.stream().filter(d -> d.status() == 0).count());
        s.put("max_ms_success", ms(all.stream().filter(Delivery::success).mapToLong(Delivery::nanos).max().orElse(0)));
        s.put("max_ms_failure", ms(all.stream().filter(d -> !d.success()).mapToLong(Delivery::nanos).max().orElse(0)));
        long[] sorted = all.stream().mapToLong(Delivery::nanos).sorted().toArray();
        s.put("p50_ms", ms(sorted.length == 0 ? 0 : sorted[(sorted.length - 1) / 2]));
        s.put("p99_ms", ms(sorted.length == 0 ? 0 : sorted[(int) Math.ceil(0.99 * sorted.length) - 1]));
        List<Delivery> failures = all.stream().filter(d -> !d.success()).toList();
        s.put("first_failure_ms", failures.isEmpty() ? 0 : failures.get(0).sentMs());
        s.put("last_failure_ms", failures.stream().mapToLong(d -> d.sentMs() + d.nanos() / 1_000_000).max().orElse(0));
        for (int t = 0; t < targets.size(); t++) {
            int target = t;
            List<Delivery> mine = all.stream().filter(d -> d.target() == target).toList();
            List<Delivery> bad = mine.stream().filter(d -> !d.success()).toList();
            s.put("instance" + (t + 1) + "_deliveries", mine.size());
            s.put("instance" + (t + 1) + "_failures", bad.size());
            s.put("instance" + (t + 1) + "_first_failure_ms", bad.isEmpty() ? 0 : bad.get(0).sentMs());
            s.put("instance" + (t + 1) + "_last_failure_ms",
                    bad.stream().mapToLong(d -> d.sentMs() + d.nanos() / 1_000_000).max().orElse(0));
            s.put("instance" + (t + 1) + "_max_ms", ms(mine.stream().mapToLong(Delivery::nanos).max().orElse(0)));
        }
        s.put("started_ms", started);
        s.put("released_ms", released);
        s.put("ended_ms", ended);
        s.put("wall_s", String.format(Locale.ROOT, "%.1f", (ended - started) / 1000.0));
        List<String> text = new ArrayList<>();
        s.forEach((k, v) -> text.add(k + "=" + v));
        Files.write(out.resolve("summary.txt"), text);
        text.forEach(System.out::println);
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1e6);
    }
}
