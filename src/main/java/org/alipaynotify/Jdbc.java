package org.alipaynotify;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Database work off the request path (the relay, the active query, the daily bill, the silence alarm) on a pooled
 * connection, in the commit mode the work needs whatever the pool's default, and handed back to the pool in the mode
 * it came in: the request path's {@code TradeLedger} owns its transaction itself and does not use this.
 */
public final class Jdbc {
    /** Work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T on(Connection c) throws SQLException;
    }

    private static final int ER_LOCK_DEADLOCK = 1213;
    private static final int ER_TRANSACTION_ROLLBACK_DURING_COMMIT = 3101;

    private Jdbc() {
    }

    /**
     * Another transaction won: a deadlock on one server, a certification conflict on Galera (also 1213, at any
     * statement or at COMMIT; a duplicate key inserted on two nodes at once is one too), Group Replication's 3101.
     * Nothing of ours was written; trying again is right.
     */
    public static boolean lostConflict(SQLException e) {
        return e.getErrorCode() == ER_LOCK_DEADLOCK || e.getErrorCode() == ER_TRANSACTION_ROLLBACK_DURING_COMMIT;
    }

    /** All of the work commits, or none of it: a claim that reads rows and leases them. */
    public static <T> T inTransaction(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.on(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * A read: the work's statements only select, and the snapshot a pool without autocommit opened for them is ended
     * before the connection goes back, so no pooled connection holds an old view (or its undo log) open.
     */
    public static <T> T read(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try {
                return work.on(c);
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
        }
    }

    /** Whether a result has a column of this label (optional columns of the merchant's statements). */
    public static boolean hasColumn(ResultSet rs, String label) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            if (label.equalsIgnoreCase(meta.getColumnLabel(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every statement commits by itself: bookkeeping where each row stands alone and a retry of the whole is
     * harmless (a schedule's next time, a delivery's result, a difference found).
     */
    public static <T> T autoCommitted(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(true);
            try {
                return work.on(c);
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }
}
