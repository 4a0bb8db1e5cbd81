package org.alipaynotify;

/** The request path's parts, built once by {@link Bootstrap} and shared by the servlets. All are thread-safe. */
record Wiring(RequestReader reader, NotifyPath path, RefusalJournal journal, NotifyMetrics metrics, Health health) {
    static final String ATTRIBUTE = Wiring.class.getName();
}
