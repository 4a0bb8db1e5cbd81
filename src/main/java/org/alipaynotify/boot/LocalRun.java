package org.alipaynotify.boot;

import java.util.Map;
import java.util.Set;

/**
 * The development defaults of {@code mvn jetty:run}: an embedded database and a sandbox Alipay key for the settings
 * left unset. The only implementation lives in {@code src/dev}, which is on the class path of the local run and the
 * tests and never in the WAR; {@link Bootstrap} looks for it only when the system property {@link #PROPERTY} is
 * {@code true}, which the pom sets for {@code jetty:run} alone. A deployed WAR therefore cannot fall into sandbox
 * mode: without its settings it refuses to start and names them.
 */
public interface LocalRun extends AutoCloseable {
    String PROPERTY = "alipay-notify.local-run";

    /**
     * Stand-in values for the keys {@link #prepare} will supply, so that every configured value can be checked before
     * anything is installed or started; nothing is started, made or written here. Refuses (throws) a configuration
     * the local run cannot serve.
     *
     * @param configured the keys the system properties, environment or properties file already set
     */
    Map<String, String> standIns(Set<String> configured);

    /**
     * Prepares what the configuration leaves out and returns settings for those keys only.
     *
     * @param configured the keys the system properties, environment or properties file already set
     */
    Map<String, String> prepare(Set<String> configured) throws Exception;

    /** Stops what {@link #prepare} started. */
    @Override
    void close();

    /**
     * The local run cannot start for a reason of its own, such as another local run holding its directory or a port:
     * the message is the whole ERROR line after "alipay-notify cannot start: ", and says what to do.
     */
    final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }
}
