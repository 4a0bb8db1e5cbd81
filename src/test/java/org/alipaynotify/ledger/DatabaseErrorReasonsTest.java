package org.alipaynotify.ledger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.alipaynotify.Ledger;
import org.junit.jupiter.api.Test;

/**
 * The reasons a failed transaction is logged with (all answered 503, nothing applied). A lost conflict (a deadlock,
 * a Galera certification conflict: 1213) is marked as such, so the log line is a WARN; the errors a Galera cluster
 * adds are named.
 */
class DatabaseErrorReasonsTest {
    private static String reason(int code, String message) {
        return TradeLedger.describe(new SQLException(message, "40001", code));
    }

    @Test
    void aDeadlockOrCertificationConflictIsARetryableConflict() {
        String r = reason(1213, "Deadlock found when trying to get lock; try restarting transaction");
        assertTrue(r.startsWith(Ledger.CONFLICT), r);
        assertTrue(r.contains("certification") && r.contains("1213") && r.contains("nothing applied"), r);
        String gr = reason(3101, "Plugin instructed the server to rollback the current transaction.");
        assertTrue(gr.startsWith(Ledger.CONFLICT) && gr.contains("Group Replication"), gr);
    }

    @Test
    void theOtherFailuresAreNotConflicts() {
        for (int code : new int[] {1205, 1047, 1180, 2013, 0}) {
            String r = reason(code, "WSREP has not yet prepared node for application use");
            assertFalse(r.startsWith(Ledger.CONFLICT), r);
        }
        assertTrue(reason(1047, "WSREP has not yet prepared node for application use").contains("primary component"));
        assertTrue(reason(1205, "Lock wait timeout exceeded").contains("lock wait timeout"));
    }
}
