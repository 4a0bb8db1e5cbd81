package org.alipaynotify.recovery;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.alipaynotify.Jdbc;
import org.alipaynotify.Json;
import org.alipaynotify.Ledger;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.TradeStatus;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Asks Alipay ({@code alipay.trade.query}) about orders that still wait for payment, because a notification is a
 * best-effort push that may never arrive. By the order's age: every minute while it is 1-10 minutes old, every 10
 * minutes up to an hour, hourly up to a day; then no more (at most 37 questions an order). Rate-limited per instance
 * ({@code query.per-minute}). A TRADE_SUCCESS, TRADE_FINISHED or TRADE_CLOSED answer is applied through the ledger
 * like a notification (source {@code query}, notify_id {@code query-<trade_no>-<status>}, the signed answer as the
 * raw record): one state table, one dedup, one audit trail, so the real notification arriving later is a no-change.
 * WAIT_BUYER_PAY and "trade does not exist" (the buyer may simply not have paid) change nothing; an answer that does
 * not verify changes nothing and is counted.
 *
 * <p>Several instances share the work: an order is claimed with a lease in {@code alipay_notify_query}
 * ({@code FOR UPDATE SKIP LOCKED}, as the event relay does), so it is asked by one of them at a time.
 */
public final class ActiveQuery implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ActiveQuery.class);
    static final String METHOD = "alipay.trade.query";
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final DateTimeFormatter ALIPAY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final Duration LEASE = Duration.ofMinutes(2);
    private static final Duration DAY = Duration.ofDays(1);

    /** last_result of an order the daily bill asked about: asked even when it does not look waiting. */
    static final String FROM_BILL = "asked for by the daily bill";
    private static final String ADD = "INSERT INTO alipay_notify_query (out_trade_no, app_id, order_created_at,"
            + " next_query_at, last_result) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE out_trade_no = out_trade_no";
    private static final String ASK_NOW = "UPDATE alipay_notify_query SET next_query_at = ?, last_result = ?"
            + " WHERE out_trade_no = ?";
    private static final String DUE = "SELECT out_trade_no, app_id, order_created_at, tries, last_result"
            + " FROM alipay_notify_query"
            + " WHERE next_query_at <= ? AND (locked_until IS NULL OR locked_until < ?) ORDER BY next_query_at"
            + " LIMIT ? FOR UPDATE SKIP LOCKED";
    private static final String CLAIM = "UPDATE alipay_notify_query SET locked_by = ?, locked_until = ?"
            + " WHERE out_trade_no = ?";
    private static final String ASKED = "UPDATE alipay_notify_query SET tries = tries + 1, last_query_at = ?,"
            + " next_query_at = ?, last_result = ?, locked_by = NULL, locked_until = NULL WHERE out_trade_no = ?"
            + " AND locked_by = ?";
    private static final String DONE = "DELETE FROM alipay_notify_query WHERE out_trade_no = ?";

    private record Due(String outTradeNo, String appId, Instant orderCreated, int tries, String lastResult) {
    }

    private final DataSource dataSource;
    private final Ledger ledger;
    private final Map<String, Gateway> gateways;
    private final Gateway onlyGateway;
    private final String waitingSql;
    private final int perMinute;
    private final Clock clock;
    private final String instance;
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final AtomicLong applied = new AtomicLong();
    private ScheduledExecutorService scheduler;

    /**
     * @param gateways   one per app, by app id
     * @param waitingSql out_trade_no and age_seconds (app_id optional) of the orders waiting for payment
     */
    ActiveQuery(DataSource dataSource, Ledger ledger, Map<String, Gateway> gateways, String waitingSql,
            int perMinute, Clock clock, String instance) {
        this.dataSource = dataSource;
        this.ledger = ledger;
        this.gateways = Map.copyOf(gateways);
        this.onlyGateway = gateways.size() == 1 ? gateways.values().iterator().next() : null;
        this.waitingSql = waitingSql;
        this.perMinute = perMinute;
        this.clock = clock;
        this.instance = instance;
    }

    /** A pass every 20 seconds on a thread of its own, the first a minute after start-up. */
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alipay-notify-query");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Active query: {}; trying again in 20 s", Text.printable(e.toString(), 300));
            }
        }, 60, 20, TimeUnit.SECONDS);
    }

    /** Gateway calls by result since start ({@code paid}, {@code waiting}, {@code not_exist}, {@code timeout} ...). */
    public Map<String, Long> calls() {
        Map<String, Long> m = new HashMap<>();
        calls.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Answers applied through the ledger since start. */
    public long applied() {
        return applied.get();
    }

    /**
     * One pass: the waiting orders join the schedule, the due ones (at most a third of a minute's budget, as passes
     * come every 20 s) are claimed, asked and re-scheduled. Returns how many were asked.
     */
    public int runOnce() throws SQLException {
        List<Waiting> waiting = waiting();
        schedule(waiting);
        java.util.Set<String> stillWaiting = new java.util.HashSet<>();
        waiting.forEach(w -> stillWaiting.add(w.outTradeNo()));
        List<Due> due = claim(Math.max(1, perMinute / 3));
        int asked = 0;
        for (Due d : due) {
            if (!stillWaiting.contains(d.outTradeNo()) && !FROM_BILL.equals(d.lastResult())) {
                forget(d.outTradeNo()); // paid by its notification meanwhile, closed, or a day old: nothing to ask
                continue;
            }
            ask(d);
            asked++;
        }
        return asked;
    }

    private void forget(String outTradeNo) throws SQLException {
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(DONE)) {
                ps.setString(1, outTradeNo);
                return ps.executeUpdate();
            }
        });
    }

    /** Puts an order on the schedule at once (the daily bill does, for a payment it found we never applied). */
    public void askSoon(String outTradeNo, String appId) throws SQLException {
        Instant now = clock.instant();
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(ADD)) {
                ps.setString(1, outTradeNo);
                ps.setString(2, appId);
                ps.setString(3, utc(now));
                ps.setString(4, utc(now));
                ps.setString(5, FROM_BILL);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(ASK_NOW)) {
                ps.setString(1, utc(now));
                ps.setString(2, FROM_BILL);
                ps.setString(3, outTradeNo);
                return ps.executeUpdate();
            }
        });
    }

    private record Waiting(String outTradeNo, String appId, long ageSeconds) {
    }

    private List<Waiting> waiting() throws SQLException {
        return Jdbc.read(dataSource, c -> {
            List<Waiting> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(waitingSql); ResultSet rs = ps.executeQuery()) {
                boolean hasApp = Jdbc.hasColumn(rs, "app_id");
                while (rs.next()) {
                    long age = rs.getLong("age_seconds");
                    if (age >= 60 && age < DAY.getSeconds()) {
                        out.add(new Waiting(rs.getString("out_trade_no"), hasApp ? rs.getString("app_id") : null,
                                age));
                    }
                }
            }
            return out;
        });
    }

    private void schedule(List<Waiting> waiting) throws SQLException {
        if (waiting.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(ADD)) {
                for (Waiting w : waiting) {
                    ps.setString(1, w.outTradeNo());
                    ps.setString(2, w.appId());
                    ps.setString(3, utc(now.minusSeconds(w.ageSeconds())));
                    ps.setString(4, utc(now));
                    ps.setString(5, null);
                    ps.addBatch();
                }
                return ps.executeBatch();
            }
        });
    }

    private List<Due> claim(int limit) throws SQLException {
        try {
            return claimOrLose(limit);
        } catch (SQLException e) {
            if (!Jdbc.lostConflict(e)) {
                throw e;
            }
            // another instance claimed the same orders (on Galera: at certification); they are its to ask
            LOG.info("Active query: another instance claimed the same orders first (error {}); looking again on the"
                    + " next pass", e.getErrorCode());
            return List.of();
        }
    }

    private List<Due> claimOrLose(int limit) throws SQLException {
        return Jdbc.inTransaction(dataSource, c -> {
            List<Due> due = new ArrayList<>();
            String now = utc(clock.instant());
            try (PreparedStatement ps = c.prepareStatement(DUE)) {
                ps.setString(1, now);
                ps.setString(2, now);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new Due(rs.getString(1), rs.getString(2),
                                rs.getObject(3, LocalDateTime.class).toInstant(ZoneOffset.UTC), rs.getInt(4),
                                rs.getString(5)));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
                for (Due d : due) {
                    ps.setString(1, instance);
                    ps.setString(2, utc(clock.instant().plus(LEASE)));
                    ps.setString(3, d.outTradeNo());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return due;
        });
    }

    /** The wait before the next question, by the order's age; null: a day old, no more questions. */
    static Duration nextWait(Duration age) {
        if (age.compareTo(Duration.ofMinutes(10)) < 0) {
            return Duration.ofMinutes(1);
        }
        if (age.compareTo(Duration.ofHours(1)) < 0) {
            return Duration.ofMinutes(10);
        }
        return age.compareTo(DAY) < 0 ? Duration.ofHours(1) : null;
    }

    private void ask(Due d) throws SQLException {
        Gateway gateway = d.appId() != null ? gateways.get(d.appId()) : onlyGateway;
        String result;
        if (gateway == null) {
            result = "no app " + d.appId() + " with a private key here";
            count("no_app");
        } else {
            result = answer(d, gateway);
        }
        Instant now = clock.instant();
        Duration next = nextWait(Duration.between(d.orderCreated(), now));
        boolean done = result.startsWith("applied") || next == null;
        if (done) {
            forget(d.outTradeNo());
            if (next == null && !result.startsWith("applied")) {
                LOG.warn("Active query: out_trade_no {} still waits after a day and {} questions ({}); no more"
                        + " questions", d.outTradeNo(), d.tries() + 1, result);
            }
            return;
        }
        Jdbc.autoCommitted(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(ASKED)) {
                ps.setString(1, utc(now));
                ps.setString(2, utc(now.plus(next)));
                ps.setString(3, Text.printable(result, 250));
                ps.setString(4, d.outTradeNo());
                ps.setString(5, instance);
                return ps.executeUpdate();
            }
        });
    }

    /** Asks and applies; returns what happened, for the schedule's last_result. */
    private String answer(Due d, Gateway gateway) {
        Gateway.Answer a;
        try {
            a = gateway.call(METHOD, Json.object().string("out_trade_no", d.outTradeNo()).toString());
        } catch (Gateway.Unanswered u) {
            count(u.kind);
            LOG.warn("Active query for out_trade_no {} (app {}): {}", d.outTradeNo(), gateway.app().name(),
                    u.getMessage());
            return u.kind + ": " + u.getMessage();
        }
        if (!a.success()) {
            String sub = a.text("sub_code");
            count("ACQ.TRADE_NOT_EXIST".equals(sub) ? "not_exist" : "error_response");
            return "answer " + a.text("code") + " " + sub;
        }
        String status = a.text("trade_status");
        TradeStatus tradeStatus;
        try {
            tradeStatus = TradeStatus.valueOf(status);
        } catch (IllegalArgumentException | NullPointerException e) {
            count("unknown_status");
            return "unknown trade_status " + Text.printable(status, 32);
        }
        if (tradeStatus == TradeStatus.WAIT_BUYER_PAY) {
            count("waiting");
            return "WAIT_BUYER_PAY";
        }
        if (!d.outTradeNo().equals(a.text("out_trade_no"))) {
            count("unverifiable");
            LOG.error("Active query for out_trade_no {} was answered about {}: ignored", d.outTradeNo(),
                    Text.printable(a.text("out_trade_no"), 64));
            return "answered about another order";
        }
        Notification n;
        try {
            n = notification(a, gateway.app().appId(), tradeStatus);
        } catch (IllegalArgumentException e) {
            count("malformed");
            return "answer not usable: " + e.getMessage();
        }
        count("paid_or_closed");
        try {
            Ledger.Applied applied = ledger.apply(n, "gateway");
            this.applied.incrementAndGet();
            Outcome o = applied.outcome();
            (o.acknowledged() ? LOG.atWarn() : LOG.atError()).log("Active query found out_trade_no {} {} at Alipay"
                    + " without a notification here: {} ({})", d.outTradeNo(), tradeStatus, o, applied.reason());
            return o.acknowledged() || o == Outcome.AMOUNT_MISMATCH ? "applied: " + o : "refused: " + o;
        } catch (Refused r) {
            return "refused: " + r.outcome() + " " + r.reason();
        }
    }

    /** The answer as the ledger takes a notification; the signed answer itself is the raw record. */
    static Notification notification(Gateway.Answer a, String appId, TradeStatus status) {
        String tradeNo = a.text("trade_no");
        BigDecimal total = money(a.text("total_amount"));
        if (tradeNo == null || total == null) {
            throw new IllegalArgumentException("no trade_no or total_amount");
        }
        String buyer = a.text("buyer_user_id") != null ? a.text("buyer_user_id") : a.text("buyer_open_id");
        return new Notification("query-" + tradeNo + "-" + status, null, appId, a.text("out_trade_no"), tradeNo,
                status, total, null, buyer, time(a.text("send_pay_date")), null, null, null,
                money(a.text("receipt_amount")), money(a.text("buyer_pay_amount")), null, "utf-8",
                a.body().getBytes(StandardCharsets.UTF_8), Notification.QUERY);
    }

    private static BigDecimal money(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("amount '" + Text.printable(v, 16) + "'");
        }
    }

    private static LocalDateTime time(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(v, ALIPAY_TIME);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time '" + Text.printable(v, 32) + "'");
        }
    }

    private void count(String kind) {
        calls.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    private static String utc(Instant t) {
        return UTC_MILLIS.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
