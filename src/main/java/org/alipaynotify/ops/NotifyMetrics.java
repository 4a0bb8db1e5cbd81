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
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.alipaynotify.Outcome;
import org.alipaynotify.request.NotifyEndpoint;
import org.alipaynotify.request.NotifyPath;
import org.alipaynotify.request.RefusalJournal;

/**
 * The webapp's meters, one registry per deployment (no global registry, so a redeploy starts clean and an undeploy
 * unregisters its MBeans). Published as Prometheus text on {@code /alipay/metrics} and over JMX (domain
 * {@code alipay_notify}). Every name is documented in README.md, "Metrics".
 */
public final class NotifyMetrics implements NotifyEndpoint.Observer, AutoCloseable {
    public static final String ATTRIBUTE = NotifyMetrics.class.getName();
    static final String NOTIFICATIONS = "alipay_notify.notifications";
    static final String DURATION = "alipay_notify.request.duration";
    static final String STEP = "alipay_notify.step.duration";
    static final String CERT_DAYS = "alipay_notify.certificate.days_until_expiry";
    static final String REFUSAL_RECORDS = "alipay_notify.refusal_records";

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
    private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
    private final Map<Outcome, Timer> timers = new EnumMap<>(Outcome.class);
    private final Timer parse;
    private final Timer verify;
    private final Timer check;
    private final Timer apply;

    public NotifyMetrics() {
        registry.add(prometheus);
        registry.add(jmx);
        for (Outcome o : Outcome.values()) {
            counters.put(o, Counter.builder(NOTIFICATIONS)
                    .description("Requests to /alipay/notify by outcome; category groups the outcomes")
                    .tag("category", o.category()).tag("outcome", o.name())
                    .register(registry));
            timers.put(o, Timer.builder(DURATION)
                    .description("Time from request to answer on /alipay/notify")
                    .tag("category", o.category())
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry));
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
    public void answered(Outcome outcome, long elapsedNanos, NotifyPath.StepTimes steps) {
        counters.get(outcome).increment();
        timers.get(outcome).record(elapsedNanos, TimeUnit.NANOSECONDS);
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

    /** HikariCP's own pool meters (hikaricp_connections_*), registered into ours. */
    public void instrument(HikariConfig pool) {
        pool.setMetricRegistry(registry);
    }

    public <T> void certificateDaysUntilExpiry(T source, ToDoubleFunction<T> days) {
        Gauge.builder(CERT_DAYS, source, days)
                .description("Days until the Alipay certificate in use expires (negative: expired)")
                .register(registry);
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
