package org.alipaynotify;

/**
 * Step 5, apply: what the request path needs of the database. The ledger package implements it; the interface lets
 * the fuzz tests drive the whole path with an in-memory stand-in.
 */
public interface Ledger {
    /**
     * How the reason of a {@link Outcome#DATABASE_ERROR} begins when the transaction lost a conflict with another
     * one: a deadlock, or on a Galera cluster a certification conflict with a transaction of another node (error
     * 1213). Nothing was applied and the redelivery is applied normally, so it is logged as a WARN, not an ERROR:
     * on a cluster it happens now and then when two deliveries for one order reach two nodes at the same moment.
     */
    String CONFLICT = "conflict: ";

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
