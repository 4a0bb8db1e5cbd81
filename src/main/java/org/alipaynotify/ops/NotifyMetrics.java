package org.alipaynotify.ops;

import com.zaxxer.hikari.HikariConfig;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.alipaynotify.Outcome;
import org.alipaynotify.events.Relay;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.request.NotifyEndpoint;
import org.alipaynotify.request.NotifyPath;
import org.alipaynotify.recovery.ActiveQuery;
import org.alipaynotify.recovery.DailyBill;
import org.alipaynotify.recovery.Recovery;
import org.alipaynotify.request.RefusalJournal;

/**
 * The webapp's meters, one registry per deployment (no global registry, so a redeploy starts clean and an undeploy
 * unregisters its MBeans). Published as Prometheus text on {@code /alipay/metrics} and over JMX (domain
 * {@code alipay_notify}). Every name is documented in README.md, "Metrics".
 */
public final class NotifyMetrics implements NotifyEndpoint.Observer, AutoCloseable {
    public static final String ATTRIBUTE = NotifyMetrics.class.getName();
    /** The app label of a request no app's key checked. */
    static final String NO_APP = "-";
    static final String NOTIFICATIONS = "alipay_notify.notifications";
    static final String DURATION = "alipay_notify.request.duration";
    static final String STEP = "alipay_notify.step.duration";
    static final String CERT_DAYS = "alipay_notify.certificate.days_until_expiry";
    static final String REFUSAL_RECORDS = "alipay_notify.refusal_records";
    /** With base unit seconds: alipay_notify_last_acknowledged_timestamp_seconds. */
    static final String LAST_ACKNOWLEDGED = "alipay_notify.last_acknowledged.timestamp";
    static final String WAITING = "alipay_notify.orders.waiting_for_payment";

    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JmxMeterRegistry jmx = new JmxMeterRegistry(new JmxConfig() {
        @Override
        public String get(String key) {
            return null;
        }

        @Override
        public String domain() {
            return "alipay_notify";
        }
    }, Clock.SYSTEM);
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry(Clock.SYSTEM);
    /** By app name ("-": no app, such as a body that did not parse), then by outcome. */
    private final Map<String, Map<Outcome, Counter>> counters = new HashMap<>();
    private final Map<String, Map<Outcome, Timer>> timers = new HashMap<>();
    private final Timer parse;
    private final Timer verify;
    private final Timer check;
    private final Timer apply;
    private volatile Silence silence;

    public NotifyMetrics(Apps apps) {
        registry.add(prometheus);
        registry.add(jmx);
        List<String> names = new ArrayList<>();
        apps.all().forEach(a -> names.add(a.name()));
        names.add(NO_APP);
        for (String app : names) {
            Map<Outcome, Counter> c = new EnumMap<>(Outcome.class);
            Map<Outcome, Timer> t = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                c.put(o, Counter.builder(NOTIFICATIONS)
                        .description("Requests to /alipay/notify by outcome; category groups the outcomes")
                        .tag("app", app).tag("category", o.category()).tag("outcome", o.name())
                        .register(registry));
                t.put(o, Timer.builder(DURATION)
                        .description("Time from request to answer on /alipay/notify")
                        .tag("app", app).tag("category", o.category())
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry));
            }
            counters.put(app, c);
            timers.put(app, t);
        }
        parse = step("parse");
        verify = step("verify");
        check = step("check");
        apply = step("database");
    }

    private Timer step(String name) {
        // No histogram: these answer "what share of the time", from _sum over _count, at the cost of two adds.
        return Timer.builder(STEP).description("Time spent in one step of /alipay/notify (steps a request reached)")
                .tag("step", name).register(registry);
    }

    @Override
    public void answered(String app, Outcome outcome, long elapsedNanos, NotifyPath.StepTimes steps) {
        String known = counters.containsKey(app) ? app : NO_APP;
        counters.get(known).get(outcome).increment();
        Silence s = silence;
        if (s != null && outcome.acknowledged()) {
            s.acknowledged(known);
        }
        timers.get(known).get(outcome).record(elapsedNanos, TimeUnit.NANOSECONDS);
        if (steps != null) {
            recordStep(parse, steps.parse());
            recordStep(verify, steps.verify());
            recordStep(check, steps.check());
            recordStep(apply, steps.apply());
        }
    }

    private static void recordStep(Timer timer, long nanos) {
        if (nanos > 0) {
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** What became of refused requests' records: written, or dropped and why (a flood shows here, not on disk). */
    public void refusalRecords(RefusalJournal journal) {
        FunctionCounter.builder(REFUSAL_RECORDS, journal, RefusalJournal::written)
                .description("Records of refused requests written to alipay_notify_refused, or not written and why")
                .tag("result", "written").register(registry);
        for (RefusalJournal.Dropped why : RefusalJournal.Dropped.values()) {
            FunctionCounter.builder(REFUSAL_RECORDS, journal, j -> j.dropped(why))
                    .description("Records of refused requests written to alipay_notify_refused, or not written and"
                            + " why")
                    .tag("result", "dropped_" + why.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
        }
    }

    /**
     * The outbox and its relay: events created (in committed and rolled-back transactions alike: a rollback takes its
     * rows with it), delivered, retried, parked; and, when the relay runs, the backlog and the age of its oldest event
     * (alert on it: README, "Events").
     */
    public void events(Outbox outbox, Relay relay) {
        FunctionCounter.builder("alipay_notify.events.created", outbox, Outbox::created)
                .description("Business events written to the outbox (alipay_notify_event)").register(registry);
        if (relay == null) {
            return;
        }
        FunctionCounter.builder("alipay_notify.events.delivered", relay, Relay::delivered)
                .description("Events the receiver acknowledged with a 2xx").register(registry);
        FunctionCounter.builder("alipay_notify.events.retried", relay, Relay::retried)
                .description("Failed deliveries that will be tried again").register(registry);
        FunctionCounter.builder("alipay_notify.events.parked", relay, Relay::parked)
                .description("Events parked after the last retry (DEAD): a person must re-queue them")
                .register(registry);
        Gauge.builder("alipay_notify.events.pending", relay, Relay::pending)
                .description("Events not delivered yet, not parked").register(registry);
        Gauge.builder("alipay_notify.events.dead", relay, Relay::dead)
                .description("Events parked now").register(registry);
        Gauge.builder("alipay_notify.events.oldest_undelivered_seconds", relay, Relay::oldestUndeliveredSeconds)
                .description("Age of the oldest event not delivered yet (parked ones included); 0 when none")
                .register(registry);
    }

    /**
     * The nets for lost notifications: the active query's gateway calls by result, the answers it applied, and the
     * daily bill's differences by kind (and in its last run).
     */
    public void recovery(Recovery recovery) {
        if (recovery == null) {
            return;
        }
        ActiveQuery query = recovery.query();
        if (query != null) {
            for (String result : QUERY_RESULTS) {
                FunctionCounter.builder("alipay_notify.query.calls", query, q -> q.calls().getOrDefault(result, 0L))
                        .description("alipay.trade.query calls of the active query, by result")
                        .tag("result", result).register(registry);
            }
            FunctionCounter.builder("alipay_notify.query.applied", query, ActiveQuery::applied)
                    .description("Answers of the active query applied through the ledger (payments found without"
                            + " a notification)").register(registry);
        }
        DailyBill bill = recovery.bill();
        if (bill != null) {
            for (DailyBill.Kind kind : DailyBill.Kind.values()) {
                FunctionCounter.builder("alipay_notify.bill.differences", bill, b -> b.found(kind))
                        .description("Differences between Alipay's daily bill and our records, by kind")
                        .tag("kind", kind.name()).register(registry);
            }
            FunctionCounter.builder("alipay_notify.bill.failed_runs", bill, DailyBill::failedRuns)
                    .description("Daily bill runs that could not compare their day (tried again hourly)")
                    .register(registry);
            Gauge.builder("alipay_notify.bill.last_run_differences", bill, DailyBill::lastDifferences)
                    .description("Differences found by the last daily bill run (-1 before the first)")
                    .register(registry);
        }
    }

    /** The results the active query counts (see ActiveQuery). */
    static final List<String> QUERY_RESULTS = List.of("paid_or_closed", "waiting", "not_exist", "error_response",
            "unverifiable", "timeout", "http_error", "malformed", "unknown_status", "no_app", "sign_error");

    /**
     * The silence alarm: per app, when a notification was last acknowledged (Unix time, 0: none on record) and, when
     * orders are counted, how many have waited for payment longer than notify.waiting-alert-minutes (README, "The
     * silence alarm"; the alert rules in deploy/prometheus use both).
     */
    public void silence(Silence s, Apps apps) {
        for (App app : apps.all()) {
            Gauge.builder(LAST_ACKNOWLEDGED, s, x -> x.lastAcknowledgedEpochSeconds(app.name())).baseUnit("seconds")
                    .description("Unix time of the app's last acknowledged notification (0: none on record)")
                    .tag("app", app.name()).register(registry);
        }
        if (s.counts()) {
            for (String label : s.waitingLabels()) {
                Gauge.builder(WAITING, s, x -> x.waiting(label))
                        .description("Orders in WAIT_BUYER_PAY created longer ago than notify.waiting-alert-minutes"
                                + " (\"-\": orders of no app served here)")
                        .tag("app", label).register(registry);
            }
        }
        silence = s;
    }

    /** HikariCP's own pool meters (hikaricp_connections_*), registered into ours. */
    public void instrument(HikariConfig pool) {
        pool.setMetricRegistry(registry);
    }

    /** Days until each app's certificate expires (certificate mode only), read when scraped: a rotation shows. */
    public void certificateDaysUntilExpiry(Apps apps, java.time.Clock clock) {
        for (App app : apps.all()) {
            if (app.key().certificate().isPresent()) {
                Gauge.builder(CERT_DAYS, app, a -> a.key().daysUntilExpiry(clock).orElse(0L))
                        .description("Days until the Alipay certificate in use expires (negative: expired)")
                        .tag("app", app.name()).register(registry);
            }
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition format. */
    public String scrape() {
        return prometheus.scrape();
    }

    @Override
    public void close() {
        registry.close();
        prometheus.close();
        jmx.close();
    }
}
