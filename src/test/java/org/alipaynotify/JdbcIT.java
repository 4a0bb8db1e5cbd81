package org.alipaynotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.lang.reflect.Proxy;
import javax.sql.DataSource;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both commit modes against the real MariaDB, on a one-connection pool so the mode handed back is observable. */
class JdbcIT {
    private static HikariDataSource pool;
    private static final String TABLE = "jdbc_it_" + Notifications.uniqueId("").replaceAll("\\W", "");

    @BeforeAll
    static void open() throws Exception {
        TestDatabase db = TestDatabase.get();
        pool = new HikariDataSource();
        pool.setJdbcUrl(db.url());
        pool.setUsername(db.user());
        pool.setPassword(db.password());
        pool.setMaximumPoolSize(1);
        pool.setAutoCommit(false); // as the webapp's pool
        db.execute("CREATE TABLE " + TABLE + " (id INT PRIMARY KEY) ENGINE=InnoDB");
    }

    @AfterAll
    static void close() throws Exception {
        TestDatabase.get().execute("DROP TABLE IF EXISTS " + TABLE);
        pool.close();
    }

    private static long rows() throws SQLException {
        return ((Number) TestDatabase.get().scalar("SELECT COUNT(*) FROM " + TABLE)).longValue();
    }

    private static void insert(Connection c, int id) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO " + TABLE + " VALUES (" + id + ")");
        }
    }

    @Test
    void aTransactionCommitsAllOrNothingAndHandsTheConnectionBackAsItCame() throws Exception {
        long before = rows();
        assertEquals("done", Jdbc.inTransaction(pool, c -> {
            insert(c, 1);
            insert(c, 2);
            return "done";
        }));
        assertEquals(before + 2, rows());

        SQLException duplicate = assertThrows(SQLException.class, () -> Jdbc.inTransaction(pool, c -> {
            insert(c, 3);
            insert(c, 1); // duplicate key: 3 must go too
            return null;
        }));
        assertEquals(1062, duplicate.getErrorCode());
        assertEquals(before + 2, rows());

        IllegalStateException bug = new IllegalStateException("a bug in the work");
        assertSame(bug, assertThrows(IllegalStateException.class, () -> Jdbc.inTransaction(pool, c -> {
            insert(c, 4);
            throw bug;
        })));
        assertEquals(before + 2, rows());

        try (Connection c = pool.getConnection()) {
            assertFalse(c.getAutoCommit(), "the pool's mode was not restored");
        }
    }

    @Test
    void aReadEndsItsSnapshotEvenWhereThePoolWouldNot() throws Exception {
        // one raw connection that close() does not end: a container pool that hands it back as it is
        try (Connection raw = TestDatabase.get().connect()) {
            raw.setAutoCommit(false);
            raw.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            DataSource keeps = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (p, m, a) -> {
                        if (!m.getName().equals("getConnection")) {
                            throw new UnsupportedOperationException(m.getName());
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (q, n, b) -> n.getName().equals("close") ? null : n.invoke(raw, b));
                    });
            Jdbc.Work<Long> count = c -> {
                try (Statement st = c.createStatement();
                        java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
                    rs.next();
                    return rs.getLong(1);
                }
            };
            long before = Jdbc.read(keeps, count);
            TestDatabase.get().execute("INSERT INTO " + TABLE + " VALUES (20)");
            assertEquals(before + 1, Jdbc.read(keeps, count), "the second read saw the first one's snapshot");
            assertFalse(raw.getAutoCommit());
        }
    }

    @Test
    void hasColumnFindsALabelWhateverItsCase() throws Exception {
        Jdbc.read(pool, c -> {
            try (Statement st = c.createStatement();
                    java.sql.ResultSet rs = st.executeQuery("SELECT 1 AS out_trade_no, 2 AS App_Id")) {
                assertTrue(Jdbc.hasColumn(rs, "app_id"));
                assertTrue(Jdbc.hasColumn(rs, "OUT_TRADE_NO"));
                assertFalse(Jdbc.hasColumn(rs, "age_seconds"));
            }
            return null;
        });
    }

    @Test
    void autoCommittedStatementsStandAloneWhenALaterOneFails() throws Exception {
        long before = rows();
        assertThrows(SQLException.class, () -> Jdbc.autoCommitted(pool, c -> {
            insert(c, 10);
            insert(c, 10);
            return null;
        }));
        assertEquals(before + 1, rows(), "the first statement had committed by itself");
        try (Connection c = pool.getConnection()) {
            assertFalse(c.getAutoCommit(), "the pool's mode was not restored");
            assertTrue(c.isValid(1));
        }
    }
}
