package org.alipaynotify;

/** The request path's parts, built once by {@link Bootstrap} and shared by the servlet. All are thread-safe. */
record Wiring(RequestReader reader, SignatureVerifier verifier, BusinessChecker checker, TradeLedger ledger,
        RefusalJournal journal) {
    static final String ATTRIBUTE = Wiring.class.getName();
}
