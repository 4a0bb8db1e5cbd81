package org.alipaynotify;

/**
 * Step 5, apply: what the request path needs of the database. The ledger package implements it; the interface lets
 * the fuzz tests drive the whole path with an in-memory stand-in.
 */
public interface Ledger {
    /**
     * What was committed, for the answer and the log line. An outcome that is not acknowledged (an unknown order, an
     * amount that differs) was still committed as a record of the notification: Alipay gets {@code failure} and
     * redelivers, but the signed facts are kept from the first delivery on.
     */
    record Applied(Outcome outcome, String reason) {
    }

    /**
     * Applies one verified, checked notification in one transaction and commits, or refuses it with nothing
     * committed ({@link Refused}: a database error, or a state no notification can be applied to).
     */
    Applied apply(Notification notification, String remoteAddr) throws Refused;
}
