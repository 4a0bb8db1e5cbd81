package org.alipaynotify;

import com.zaxxer.hikari.HikariDataSource;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.sql.Connection;
import java.time.Clock;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Start-up and shutdown. Validates every setting and parses the Alipay key once; a wrong setting stops the webapp
 * with one ERROR line naming the key. On shutdown releases the pool and the driver so an undeploy leaks nothing.
 */
public final class Bootstrap implements ServletContextListener {
    private static final Logger LOG = LogManager.getLogger(Bootstrap.class);

    private HikariDataSource dataSource;
    private LocalRun localRun;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        try {
            Map<String, String> sys = Settings.systemProperties();
            Map<String, String> env = System.getenv();
            Map<String, String> fallback = Map.of();
            if (Boolean.parseBoolean(sys.get(LocalRun.PROPERTY))) {
                localRun = findLocalRun();
                fallback = localRun.prepare(Settings.configuredKeys(sys, env));
            }
            Settings settings = Settings.load(sys, env, fallback);
            AlipayKey key = AlipayKey.load(settings, Clock.systemUTC());
            dataSource = Database.open(settings);
            if (settings.initSchema()) {
                try (Connection c = dataSource.getConnection()) {
                    Schema.apply(c);
                }
                LOG.info("Schema {} applied", Schema.RESOURCE);
            }
            Wiring wiring = new Wiring(
                    new RequestReader(settings.maxBodyBytes()),
                    new SignatureVerifier(key, settings.signType()),
                    new BusinessChecker(settings.appId(), settings.sellerIds()),
                    new TradeLedger(dataSource),
                    new RefusalJournal(dataSource));
            event.getServletContext().setAttribute(Wiring.ATTRIBUTE, wiring);
            LOG.info("alipay-notify ready: app_id {}, seller ids {}, {} mode, sign type {}, body limit {} bytes,"
                            + " pool {} connections",
                    settings.appId(), settings.sellerIds().isEmpty() ? "any" : settings.sellerIds(),
                    key.certPath().isPresent() ? "certificate" : "public-key", settings.signType(),
                    settings.maxBodyBytes(), settings.poolSize());
        } catch (SettingsException e) {
            stop();
            LOG.error("alipay-notify cannot start: {}", e.getMessage());
            throw new IllegalStateException("alipay-notify cannot start: " + e.getMessage());
        } catch (Exception e) {
            stop();
            LOG.error("alipay-notify cannot start: {}", e.toString());
            throw new IllegalStateException("alipay-notify cannot start: " + e, e);
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(Wiring.ATTRIBUTE);
        stop();
        LOG.info("alipay-notify stopped");
    }

    private void stop() {
        Database.close(dataSource);
        dataSource = null;
        if (localRun != null) {
            localRun.close();
            localRun = null;
        }
    }

    private static LocalRun findLocalRun() {
        try {
            return ServiceLoader.load(LocalRun.class, Bootstrap.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new IllegalStateException(LocalRun.PROPERTY + " is true, but the local-run"
                            + " classes (src/dev) are not on the class path: they exist only under mvn jetty:run,"
                            + " never in the WAR. Configure the settings instead."));
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException(LocalRun.PROPERTY + " is true, but the local run cannot be loaded: "
                    + e.getMessage(), e);
        }
    }
}
