package org.alipaynotify;

/**
 * Step 5, apply: what the request path needs of the database. the ledger package implements it; the
 * interface lets the fuzz tests drive the whole path with an in-memory stand-in.
 */
public interface Ledger {
    /** What was done, for the answer and the log line. */
    record Applied(Outcome outcome, String reason) {
    }

    /** Applies one verified, checked notification in one transaction, or refuses it. */
    Applied apply(Notification notification, String remoteAddr) throws Refused;
}
