package org.alipaynotify.request;

import org.alipaynotify.Outcome;

/**
 * What {@link NotifyServlet} needs, built once at start-up and handed over as a servlet-context attribute. All parts
 * are thread-safe.
 */
public record NotifyEndpoint(RequestReader reader, NotifyPath path, RefusalJournal journal, Observer observer) {
    public static final String ATTRIBUTE = NotifyEndpoint.class.getName();

    /** Told of every request once it is answered (the metrics); never throws into the request. */
    public interface Observer {
        /** @param app the name of the app whose key checked the request (a claim if refused before), or "-" */
        void answered(String app, Outcome outcome, long elapsedNanos, NotifyPath.StepTimes steps);
    }
}
