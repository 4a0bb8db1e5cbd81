package org.alipaynotify.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code deploy/test-galera.sh --repro}: the ledger's transaction shape in plain JDBC, stripped to what matters, run
 * by six connections at once (two per node) for each of {@code --rounds} fresh rows: lock the row
 * ({@code SELECT ... FOR UPDATE}), insert a record keyed by a unique id (a duplicate key means "already done"),
 * update the row, insert an event row, commit. One transaction per round can win; the others must fail (1213) or
 * find the record. Printed: how many transactions committed an update, and how many rows ended with more than one
 * event. Any of those beyond one per round is a transaction that was aborted by another node's write set, whose
 * first statements were rolled back, and whose later statements were committed all the same, with COMMIT answering
 * OK. {@code --driver} is the Connector/J properties to try (e.g. useServerPrepStmts=true&cachePrepStmts=false).
 */
public final class GaleraAbortRepro {
    private GaleraAbortRepro() {
    }

    public static void main(String[] args) throws Exception {
        List<String> nodes = new ArrayList<>();
        int rounds = 200;
        String driver = "";
        String tag = "r" + System.currentTimeMillis() % 100_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--nodes" -> nodes.addAll(Arrays.asList(args[i + 1].split(",")));
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--driver" -> driver = args[i + 1];
                case "--tag" -> tag = args[i + 1];
                default -> throw new IllegalArgumentException("usage: GaleraAbortRepro --nodes jdbc:mysql://h:p/,..."
                        + " [--rounds 200] [--driver useServerPrepStmts=true&cachePrepStmts=false] [--tag T]");
            }
        }
        try (Connection c = DriverManager.getConnection(nodes.get(0), "root", ""); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS abort_repro");
            st.execute("CREATE TABLE IF NOT EXISTS abort_repro.row_ (id VARCHAR(64) PRIMARY KEY,"
                    + " state VARCHAR(16) NOT NULL DEFAULT 'NEW', updates INT NOT NULL DEFAULT 0) ENGINE=InnoDB");
            st.execute("CREATE TABLE IF NOT EXISTS abort_repro.record (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                    + " rid VARCHAR(64) NOT NULL, row_id VARCHAR(64) NOT NULL, body MEDIUMBLOB,"
                    + " UNIQUE KEY uk_record_rid (rid)) ENGINE=InnoDB");
            st.execute("CREATE TABLE IF NOT EXISTS abort_repro.event (seq BIGINT AUTO_INCREMENT PRIMARY KEY,"
                    + " row_id VARCHAR(64) NOT NULL) ENGINE=InnoDB");
        }
        int threads = 2 * nodes.size();
        Connection[] cs = new Connection[threads];
        for (int t = 0; t < threads; t++) {
            cs[t] = connect(nodes.get(t % nodes.size()) + "abort_repro?" + driver);
            cs[t].setAutoCommit(false);
            cs[t].setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger committedUpdates = new AtomicInteger();
        AtomicInteger found = new AtomicInteger();
        Map<Integer, AtomicInteger> errors = new TreeMap<>();
        byte[] body = new byte[1200];
        Arrays.fill(body, (byte) 'x');
        try (Connection setup = connect(nodes.get(0) + "abort_repro")) {
            for (int k = 0; k < rounds; k++) {
                String id = tag + "-" + k;
                try (Statement st = setup.createStatement()) {
                    st.execute("INSERT INTO row_ (id) VALUES ('" + id + "')");
                }
                for (String n : nodes) { // every node has the row before the race starts
                    try (Connection v = connect(n + "abort_repro"); Statement st = v.createStatement()) {
                        st.execute("SET SESSION wsrep_sync_wait = 1");
                        st.executeQuery("SELECT id FROM row_ WHERE id = '" + id + "'").close();
                    }
                }
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> fs = new ArrayList<>();
                for (Connection c : cs) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        try {
                            once(c, id, body, committedUpdates, found);
                        } catch (SQLException e) {
                            c.rollback();
                            synchronized (errors) {
                                errors.computeIfAbsent(e.getErrorCode(), x -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : fs) {
                    f.get();
                }
            }
            try (Statement st = setup.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*),"
                    + " SUM(n > 1) FROM (SELECT row_id, COUNT(*) n FROM event WHERE row_id LIKE '" + tag
                    + "-%' GROUP BY row_id) e")) {
                rs.next();
                System.out.println("driver=" + driver);
                System.out.println("rounds=" + rounds);
                System.out.println("committed_updates=" + committedUpdates.get());
                System.out.println("found_done=" + found.get());
                System.out.println("errors=" + errors);
                System.out.println("rows_with_events=" + rs.getInt(1));
                System.out.println("rows_with_two_or_more_events=" + rs.getInt(2));
                System.out.println("partly_committed=" + (committedUpdates.get() - rounds));
            }
        }
        System.exit(0);
    }

    private static void once(Connection c, String id, byte[] body, AtomicInteger committed, AtomicInteger found)
            throws SQLException {
        String state;
        try (PreparedStatement ps = c.prepareStatement("SELECT state FROM row_ WHERE id = ? FOR UPDATE")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                state = rs.getString(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO record (rid, row_id, body) VALUES (?, ?, ?)")) {
            ps.setString(1, "r" + id);
            ps.setString(2, id);
            ps.setBytes(3, body);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (e.getErrorCode() != 1062) {
                throw e;
            }
            c.commit();
            found.incrementAndGet();
            return;
        }
        if (!state.equals("NEW")) {
            throw new IllegalStateException("the record was missing but the row was done: " + id);
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE row_ SET state = 'DONE', updates = updates + 1 WHERE id = ?")) {
            ps.setString(1, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("row vanished while locked");
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO event (row_id) VALUES (?)")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
        c.commit();
        committed.incrementAndGet();
    }

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
}
