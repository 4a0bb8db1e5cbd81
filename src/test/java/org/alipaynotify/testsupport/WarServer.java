package org.alipaynotify.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.plus.webapp.EnvConfiguration;
import org.eclipse.jetty.ee10.plus.webapp.PlusConfiguration;
import org.eclipse.jetty.ee10.webapp.JndiConfiguration;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.plus.jndi.EnvEntry;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The built WAR ({@code target/alipay-notify.war}) deployed in a real Jetty 12 on a free loopback port, configured
 * the way an operator does it: with system properties, set only while the webapp starts.
 */
public final class WarServer implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Server server;
    private final WebAppContext webapp;
    private final URI base;

    private WarServer(Server server, WebAppContext webapp, URI base) {
        this.server = server;
        this.webapp = webapp;
        this.base = base;
    }

    public static synchronized WarServer start(Map<String, String> settings) throws Exception {
        return start(settings, null);
    }

    /**
     * @param containerDataSource bound as {@code java:comp/env/jdbc/alipayNotify} in the webapp's JNDI, the way a
     *                            container offers a managed pool; null for none
     */
    public static synchronized WarServer start(Map<String, String> settings, DataSource containerDataSource)
            throws Exception {
        return start(settings, containerDataSource, null);
    }

    /**
     * The built WAR as {@code ./mvnw jetty:run} runs the project: the local run's classes (src/dev, compiled into
     * target/test-classes) and the development-only BouncyCastle jars on the webapp's own class path, and
     * {@code alipay-notify.local-run=true}, so its defaults fill the settings left unset.
     *
     * @param localDir the local run's directory ({@code alipay-notify.local-dir})
     */
    public static synchronized WarServer startLocalRun(Map<String, String> settings, Path localDir)
            throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("alipay-notify.local-run", "true");
        all.put("alipay-notify.local-dir", localDir.toString());
        List<String> extra = new ArrayList<>();
        extra.add(Path.of("target", "test-classes").toAbsolutePath().toString());
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            // SandboxKeys makes certificates with bcpkix; in the webapp's loader it must link to the WAR's bcprov
            if (name.startsWith("bcpkix-") || name.startsWith("bcutil-")) {
                extra.add(entry);
            }
        }
        return start(all, null, String.join(",", extra));
    }

    private static WarServer start(Map<String, String> settings, DataSource containerDataSource,
            String extraClasspath) throws Exception {
        Path war = Path.of(System.getProperty("alipay-notify.test.war", "target/alipay-notify.war"));
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException(war + " is missing: run the integration tests with mvn verify");
        }
        Map<String, String> previous = new HashMap<>();
        settings.forEach((k, v) -> previous.put(k, System.setProperty(k, v)));
        try {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            WebAppContext webapp = new WebAppContext();
            webapp.setWar(war.toString());
            webapp.setContextPath("/");
            webapp.setThrowUnavailableOnStartupException(false);
            if (extraClasspath != null) {
                webapp.setExtraClasspath(extraClasspath);
            }
            if (containerDataSource != null) {
                webapp.addConfiguration(new EnvConfiguration(), new PlusConfiguration(), new JndiConfiguration());
                // an EnvEntry is bound into java:comp/env without a resource-ref in web.xml (see web.xml for why)
                new EnvEntry(webapp, "jdbc/alipayNotify", containerDataSource, false);
            }
            server.setHandler(webapp);
            server.start();
            return new WarServer(server, webapp, URI.create("http://127.0.0.1:" + connector.getLocalPort()));
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    /** The webapp's own class loader (to check it is released after {@link #close}). */
    public ClassLoader webappClassLoader() {
        return webapp.getClassLoader();
    }

    /** Why the webapp did not start, or null when it did. */
    public Throwable startupFailure() {
        return webapp.getUnavailableException();
    }

    public URI uri(String pathAndQuery) {
        return base.resolve(pathAndQuery);
    }

    public HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> notify(byte[] body) throws Exception {
        return post("/alipay/notify", "application/x-www-form-urlencoded; charset=utf-8", body);
    }

    public HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
