package org.alipaynotify.boot;

import com.zaxxer.hikari.HikariDataSource;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.security.Provider;
import java.security.Security;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.Set;
import java.util.ServiceLoader;
import javax.sql.DataSource;
import org.alipaynotify.Text;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.alipaynotify.events.Relay;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.ops.Health;
import org.alipaynotify.ops.NotifyMetrics;
import org.alipaynotify.ops.OpsAccessFilter;
import org.alipaynotify.ops.Purge;
import org.alipaynotify.ops.Silence;
import org.alipaynotify.recovery.Recovery;
import org.alipaynotify.request.BusinessChecker;
import org.alipaynotify.request.NotifyEndpoint;
import org.alipaynotify.request.NotifyPath;
import org.alipaynotify.request.NotifyServlet;
import org.alipaynotify.request.RefusalJournal;
import org.alipaynotify.request.RequestReader;
import org.alipaynotify.request.SignatureVerifier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Start-up and shutdown. Validates every setting and parses the Alipay key once; a wrong setting stops the webapp
 * with one ERROR line naming the key. On shutdown releases everything this webapp put into JVM-wide places (pool,
 * JDBC driver, Connector/J's cleanup thread, the SDK's BouncyCastle provider, MBeans, log4j) so an undeploy leaves
 * no class loader behind.
 */
public final class Bootstrap implements ServletContextListener {
    private static final Logger LOG = LogManager.getLogger(Bootstrap.class);

    private LocalRun localRun;
    private NotifyMetrics metrics;
    private HikariDataSource ownPool;
    private HikariDataSource journalPool;
    private HikariDataSource relayPool;
    private Relay relay;
    private Recovery recovery;
    private RefusalJournal journal;
    private Health health;
    private Purge purge;
    private Silence silence;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        try {
            Map<String, String> sys = Settings.systemProperties();
            Map<String, String> env = System.getenv();
            Map<String, String> fallback = Map.of();
            boolean local = Boolean.parseBoolean(sys.get(LocalRun.PROPERTY));
            if (local) {
                localRun = findLocalRun();
            }
            List<Settings.Unknown> unknown = Settings.unknownKeys(sys, env);
            if (local && !unknown.isEmpty()) {
                throw SettingsException.unknown(unknown);
            }
            // A deployed webapp shares system properties and environment with the container and its other webapps,
            // so a name of theirs in our namespace must not stop it: a typo of ours is then at least said.
            for (Settings.Unknown u : unknown) {
                LOG.warn("{}: ignored", u.describe());
            }
            DataSource containerDataSource = Database.lookupContainerDataSource();
            if (localRun != null) {
                Set<String> configured = Settings.configuredKeys(sys, env);
                // Every configured value first: a typo must not wait for a database to be installed and started.
                Settings.load(sys, env, localRun.standIns(configured), containerDataSource != null);
                fallback = localRun.prepare(configured);
                // Only here, never in a deployed WAR: each answer names its outcome and reason in headers.
                context.setAttribute(NotifyServlet.EXPLAIN_ATTRIBUTE, Boolean.TRUE);
            }
            Settings settings = Settings.load(sys, env, fallback, containerDataSource != null);
            // At once: if a later step fails, health still answers "not started" to the configured networks only.
            context.setAttribute(OpsAccessFilter.ATTRIBUTE, settings.opsAllowedNetworks());
            Clock clock = Clock.systemUTC();
            List<App> loaded = new ArrayList<>();
            for (AppSettings app : settings.apps()) {
                loaded.add(App.load(app, settings.certReloadSeconds(), clock));
            }
            Apps apps = new Apps(loaded);
            metrics = new NotifyMetrics(apps);
            DataSource dataSource;
            DataSource journalSource;
            if (containerDataSource != null) {
                dataSource = journalSource = containerDataSource;
                LOG.info("Using the container's DataSource {}; the db.* settings are not used (refusal records take"
                        + " at most one of its connections)", Database.JNDI_NAME);
            } else {
                dataSource = ownPool = Database.open(settings, metrics);
                journalSource = journalPool = Database.openJournalPool(settings, metrics);
            }
            try (Connection c = dataSource.getConnection()) {
                Database.requireWritableBinlogFormat(c);
                Database.requireSafeStatementsOnGalera(c);
                Migrations migrations = Migrations.fromWebapp(event.getServletContext());
                if (settings.initSchema()) {
                    List<Integer> applied = migrations.apply(c);
                    LOG.info("Schema at V{} ({} applied or recorded now)", migrations.all().size(),
                            applied.isEmpty() ? "nothing" : applied.stream().map(v -> "V" + v).toList());
                } else {
                    migrations.check(c);
                    LOG.info("Schema at V{}, checked (db.init-schema=false)", migrations.all().size());
                }
            }
            OrderMapping orders = OrderMapping.from(settings);
            orders.check(dataSource);
            metrics.certificateDaysUntilExpiry(apps, clock);
            health = new Health(dataSource, apps, clock);
            Outbox outbox = new Outbox(clock);
            if (settings.eventsForwardUrl().isPresent()) {
                DataSource relaySource = containerDataSource != null ? containerDataSource
                        : (relayPool = Database.openRelayPool(settings, metrics));
                relay = new Relay(relaySource, settings.eventsForwardUrl().get(), settings.eventsSecret(),
                        settings.eventsRetrySchedule(), settings.eventsTimeoutMs(), clock, instanceName(),
                        Health.VERSION);
                relay.start();
                LOG.info("Event relay on: events go to {}, retried after {}, then parked",
                        Text.maskSecrets(settings.eventsForwardUrl().get().toString()),
                        settings.eventsRetrySchedule());
            }
            metrics.events(outbox, relay);
            health.events(relay);
            purge = new Purge(dataSource, Duration.ofDays(settings.retentionDays()),
                    Duration.ofDays(settings.refusalRetentionDays()), Duration.ofDays(settings.eventsRetentionDays()),
                    relay != null, clock);
            if (purge.anything()) {
                purge.schedule();
            }
            silence = new Silence(dataSource, apps, settings.waitingAlertMinutes(), orders.custom(),
                    orders.waitingSql(), clock, Silence.INTERVAL);
            metrics.silence(silence, apps);
            health.silence(silence);
            silence.start();
            journal = new RefusalJournal(journalSource, settings.refusalRecordsPerSecond(), clock);
            metrics.refusalRecords(journal);
            TradeLedger ledger = new TradeLedger(dataSource, orders, outbox);
            recovery = Recovery.start(settings, apps, dataSource, ledger, orders.waitingSql(), orders.factsTable(),
                    clock, instanceName());
            metrics.recovery(recovery);
            NotifyEndpoint endpoint = new NotifyEndpoint(
                    new RequestReader(settings.maxBodyBytes()),
                    new NotifyPath(
                            new SignatureVerifier(apps),
                            new BusinessChecker(),
                            ledger),
                    journal,
                    metrics);
            context.setAttribute(NotifyEndpoint.ATTRIBUTE, endpoint);
            context.setAttribute(Health.ATTRIBUTE, health);
            context.setAttribute(NotifyMetrics.ATTRIBUTE, metrics);
            LOG.info("/alipay/health and /alipay/metrics answer to {} only (ops.allowed-networks)",
                    settings.opsAllowedNetworks());
            LOG.info("alipay-notify {} ready: {}, body limit {} bytes, {}, orders in {}", Health.VERSION,
                    describe(apps), settings.maxBodyBytes(), ownPool != null ? "pool of " + settings.poolSize()
                            + " connections" : "container DataSource",
                    orders.custom() ? "your table (" + orders.keys() + ")" : "alipay_order"
                            + (orders.keys().isEmpty() ? "" : " with " + orders.keys()));
        } catch (SettingsException | CannotStart | LocalRun.Refused e) {
            release();
            String why = Text.maskSecrets(e.getMessage());
            LOG.error("alipay-notify cannot start: {}", why);
            throw new IllegalStateException("alipay-notify cannot start: " + why);
        } catch (Exception e) {
            release();
            // the cause is not passed on: a driver's message in it may quote the database URL
            String why = Text.maskSecrets(e.toString());
            LOG.error("alipay-notify cannot start: {}", why);
            throw new IllegalStateException("alipay-notify cannot start: " + why);
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        context.removeAttribute(NotifyEndpoint.ATTRIBUTE);
        context.removeAttribute(Health.ATTRIBUTE);
        context.removeAttribute(NotifyMetrics.ATTRIBUTE);
        context.removeAttribute(OpsAccessFilter.ATTRIBUTE);
        context.removeAttribute(NotifyServlet.EXPLAIN_ATTRIBUTE);
        release();
        LOG.info("alipay-notify stopped");
        // Last: log4j-core lives in this webapp; its context and threads must go with it.
        LogManager.shutdown();
    }

    private void release() {
        if (recovery != null) {
            recovery.close();
            recovery = null;
        }
        if (relay != null) {
            relay.close();
            relay = null;
        }
        Database.closePool(relayPool);
        relayPool = null;
        if (journal != null) {
            journal.close();
            journal = null;
        }
        Database.closePool(journalPool);
        journalPool = null;
        if (purge != null) {
            purge.close();
            purge = null;
        }
        if (silence != null) {
            silence.close();
            silence = null;
        }
        if (health != null) {
            health.close();
            health = null;
        }
        Database.close(ownPool);
        ownPool = null;
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
        if (localRun != null) {
            localRun.close();
            localRun = null;
        }
        removeOurBouncyCastle();
    }

    /** Names this instance in the relay's claims (locked_by): the host, and a random part for several per host. */
    private static String instanceName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        String id = host + "-" + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 40), 36);
        return id.length() > 64 ? id.substring(id.length() - 64) : id;
    }

    /** "app web: app_id 2021..., seller ids [...], certificate mode, sign type RSA2; app ...". */
    private static String describe(Apps apps) {
        StringBuilder b = new StringBuilder();
        for (App a : apps.all()) {
            b.append(b.length() == 0 ? "" : "; ").append("app ").append(a.name()).append(": app_id ")
                    .append(a.appId()).append(", seller ids ").append(a.sellerIds().isEmpty() ? "any" : a.sellerIds())
                    .append(", ").append(a.key().certificate().isPresent() ? "certificate" : "public-key")
                    .append(" mode, sign type ").append(a.signType());
        }
        return b.toString();
    }

    /** The SDK registers BouncyCastle JVM-wide; if the registered one came from this webapp, it must go too. */
    private static void removeOurBouncyCastle() {
        Provider bc = Security.getProvider("BC");
        if (bc != null && bc.getClass().getClassLoader() == Bootstrap.class.getClassLoader()) {
            Security.removeProvider("BC");
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
