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
