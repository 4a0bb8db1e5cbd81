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
        void answered(Outcome outcome, long elapsedNanos, NotifyPath.StepTimes steps);
    }
}
