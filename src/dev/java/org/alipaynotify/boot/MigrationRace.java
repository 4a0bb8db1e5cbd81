package org.alipaynotify.boot;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alipaynotify.testsupport.LogCapture;
import org.apache.logging.log4j.Level;

/**
 * {@code deploy/test-galera.sh}: the schema migrations of three instances made to claim each version at the same
 * instant, each on its own Galera node. Starting three webapps at once rarely lines their claims up to the
 * millisecond; here each claim waits for the next whole second of the wall clock first
 * ({@link Migrations#pausingBeforeEachClaim}), so the three INSERTs of a version's history row leave their nodes
 * together and all but one lose at certification. With {@code --retry-autocommit 0} the losers' sessions do not let
 * the server retry the statement (wsrep_retry_autocommit), so they see the certification failure itself (error
 * 1213) rather than the retried insert's duplicate key (1062).
 *
 * <p>Prints key=value lines for the script: the versions each node applied, claims tried and lost, the error codes
 * the losers saw (from the Migrations log), and any exception.
 */
public final class MigrationRace {
    private static final Pattern LOST = Pattern.compile("claimed it first \\(error (\\d+)");

    private MigrationRace() {
    }

    public static void main(String[] args) throws Exception {
        List<String> servers = new ArrayList<>();
        String database = null;
        String retryAutocommit = "server";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--servers" -> servers.addAll(List.of(args[i + 1].split(",")));
                case "--database" -> database = args[i + 1];
                case "--retry-autocommit" -> retryAutocommit = args[i + 1];
                default -> throw new IllegalArgumentException("usage: MigrationRace --servers jdbc:mysql://h:p/,..."
                        + " --database NAME [--retry-autocommit 0|1|server]");
            }
        }
        if (servers.isEmpty() || database == null || !database.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("--servers and --database (lower case, digits, _) are required");
        }
        try (Connection c = DriverManager.getConnection(servers.get(0), "root", "");
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + database + " CHARACTER SET utf8mb4");
        }
        int n = servers.size();
        List<List<Integer>> applied = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger claims = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        String text;
        long started = System.nanoTime();
        try (LogCapture log = new LogCapture(Level.INFO)) {
            for (int k = 0; k < n; k++) {
                String url = servers.get(k) + database;
                String mode = retryAutocommit;
                int node = k + 1;
                threads.add(new Thread(() -> {
                    try (Connection c = connect(url)) {
                        if (!mode.equals("server")) {
                            try (Statement st = c.createStatement()) {
                                st.execute("SET SESSION wsrep_retry_autocommit = " + Integer.parseInt(mode));
                            }
                        }
                        Migrations m = Migrations.fromClassPath().with(Duration.ofSeconds(120), "race node " + node)
                                .pausingBeforeEachClaim(() -> {
                                    claims.incrementAndGet();
                                    sleepToNextSecond();
                                });
                        applied.add(m.apply(c));
                    } catch (Throwable e) {
                        failed.compareAndSet(null, e);
                    }
                }, "node" + node));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            text = log.text();
        }
        List<Integer> all = new ArrayList<>();
        applied.forEach(all::addAll);
        TreeSet<Integer> distinct = new TreeSet<>(all);
        int versions = Migrations.fromClassPath().all().size();
        boolean once = all.size() == versions && distinct.size() == versions && distinct.first() == 1
                && distinct.last() == versions;
        List<String> codes = new ArrayList<>();
        Matcher m = LOST.matcher(text);
        while (m.find()) {
            codes.add(m.group(1));
        }
        System.out.println("versions=" + versions);
        System.out.println("applied_per_node=" + applied);
        System.out.println("applied_once=" + (once && failed.get() == null ? "yes" : "no"));
        System.out.println("claims_tried=" + claims.get());
        System.out.println("claims_lost=" + (claims.get() - all.size()));
        System.out.println("lost_1213=" + codes.stream().filter("1213"::equals).count());
        System.out.println("lost_1062=" + codes.stream().filter("1062"::equals).count());
        System.out.println("waited=" + count(text, "is being applied by"));
        System.out.println("seconds=" + (System.nanoTime() - started) / 1_000_000_000);
        System.out.println("error=" + (failed.get() == null ? "" : failed.get().toString().replace('\n', ' ')));
        System.exit(0);
    }

    /** The database was created on the first node; DDL reaches the others in total order, a moment later. */
    private static Connection connect(String url) throws SQLException, InterruptedException {
        for (int i = 0; ; i++) {
            try {
                return DriverManager.getConnection(url, "root", "");
            } catch (SQLException e) {
                if (i == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void sleepToNextSecond() {
        try {
            Thread.sleep(1000 - System.currentTimeMillis() % 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
