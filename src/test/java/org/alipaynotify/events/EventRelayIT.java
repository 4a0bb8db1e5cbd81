package org.alipaynotify.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.alipaynotify.Outcome;
import org.alipaynotify.boot.Database;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.request.CheckedNotifications;
import org.alipaynotify.testsupport.EventReceiver;
import org.alipaynotify.testsupport.EventReceiver.Delivery;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox and its relay against the real database and a real HTTP receiver: every kind of event once, in order per
 * order; a receiver down, then back; one that fails for ever (parked, then re-queued); two relays on one database; a
 * relay that dies mid-delivery.
 */
class EventRelayIT {
    static final byte[] SECRET = "test-secret-0123456789abcdef0123456789".getBytes(StandardCharsets.UTF_8);
    static final List<Duration> FAST = List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
            Duration.ofMillis(800), Duration.ofMillis(1_600), Duration.ofMillis(3_200));

    @TempDir
    static Path dir;
    static TestDatabase db;
    static HikariDataSource pool;
    static TradeLedger ledger;
    static CheckedNotifications checked;

    @BeforeAll
    static void open() {
        db = TestDatabase.get();
        pool = Database.open(settings());
        ledger = new TradeLedger(pool, OrderMapping.ownTable(), new Outbox(Clock.systemUTC()));
        checked = new CheckedNotifications(Notifications.APP_ID);
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Settings settings() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, Notifications.APP_ID);
        sys.put(Settings.PUBLIC_KEY, "unused-here");
        sys.put(Settings.DB_URL, db.url());
        sys.put(Settings.DB_USER, db.user());
        sys.put(Settings.DB_PASSWORD, db.password());
        return Settings.load(sys, Map.of());
    }

    /** Marks every event so far delivered, so each test sees only its own. */
    static void forgetEarlierEvents() throws Exception {
        db.execute("UPDATE alipay_notify_event SET status = 'DELIVERED' WHERE status <> 'DELIVERED'");
    }

    static Relay relay(EventReceiver receiver, List<Duration> schedule, Duration lease, HikariDataSource ds,
            String name) {
        return new Relay(ds, receiver.uri(), SECRET, schedule, 2_000, lease, Clock.systemUTC(), name, "test");
    }

    /** n orders paid and refunded twice: 3n events, three per order, in order. */
    static List<String> payAndRefund(int n) throws Exception {
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = Notifications.uniqueId("ev-");
            db.insertOrder(id, "10.00");
            Map<String, String> pay = Notifications.tradeSuccess(id, "10.00");
            assertEquals(Outcome.APPLIED, ledger.apply(checked.of(pay), "x").outcome());
            for (String fee : List.of("2.00", "5.00")) {
                Map<String, String> refund = Notifications.next(pay, "TRADE_SUCCESS");
                refund.put("refund_fee", fee);
                assertEquals(Outcome.REFUND_RECORDED, ledger.apply(checked.of(refund), "x").outcome());
            }
            orders.add(id);
        }
        return orders;
    }

    static Map<String, List<String>> byOrder(List<Delivery> deliveries) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Delivery d : deliveries) {
            String order = field(d.body(), "out_trade_no");
            m.computeIfAbsent(order, k -> new ArrayList<>()).add(d.type() + "/" + field(d.body(), "refund_fee"));
        }
        return m;
    }

    static String field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":(\"([^\"]*)\"|null|true|false)")
                .matcher(json);
        return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : "(absent)";
    }

    @Test
    void throughTheWebappEveryKindOfEventArrivesOnceInOrderSignedWithTheFactsAReceiverNeeds() throws Exception {
        forgetEarlierEvents();
        SandboxKeys keys = SandboxKeys.generate();
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        try (EventReceiver receiver = new EventReceiver(SECRET)) {
            Map<String, String> s = db.webappSettings(keys.writeCertificate(dir.resolve("alipay.crt")));
            s.put(Settings.EVENTS_FORWARD_URL, receiver.uri().toString());
            s.put(Settings.EVENTS_SECRET, new String(SECRET, StandardCharsets.UTF_8));
            s.put(Settings.EVENTS_RETRY_SCHEDULE, "100ms,200ms");
            try (WarServer server = WarServer.start(s)) {
                assertNull(server.startupFailure());
                String refunded = Notifications.uniqueId("ev-a-");
                String finished = Notifications.uniqueId("ev-b-");
                String closed = Notifications.uniqueId("ev-c-");
                String late = Notifications.uniqueId("ev-d-");
                for (String id : List.of(refunded, finished, closed, late)) {
                    db.insertOrder(id, "88.80");
                }
                db.execute("UPDATE alipay_order SET trade_status = 'TRADE_CLOSED' WHERE out_trade_no = ?", late);
                Map<String, String> pay = Notifications.tradeSuccess(refunded, "88.80");
                List<Map<String, String>> sent = new ArrayList<>();
                sent.add(pay);
                Map<String, String> partial = Notifications.next(pay, "TRADE_SUCCESS");
                partial.put("refund_fee", "8.80");
                sent.add(partial);
                Map<String, String> full = Notifications.next(pay, "TRADE_CLOSED");
                full.put("refund_fee", "88.80");
                sent.add(full);
                Map<String, String> pay2 = Notifications.tradeSuccess(finished, "88.80");
                sent.add(pay2);
                sent.add(Notifications.next(pay2, "TRADE_FINISHED"));
                Map<String, String> close = Notifications.tradeSuccess(closed, "88.80");
                close.put("trade_status", "TRADE_CLOSED");
                close.remove("gmt_payment");
                sent.add(close);
                sent.add(Notifications.tradeSuccess(late, "88.80"));
                for (Map<String, String> p : sent) {
                    byte[] body = AlipaySigner.formBody(signer.signed(p));
                    assertEquals("success", server.notify(body).body());
                    assertEquals("success", server.notify(body).body()); // a duplicate makes no event
                }
                List<Delivery> got = receiver.await(8, Duration.ofSeconds(15));
                Thread.sleep(1_500); // nothing more may come
                got = receiver.deliveries();
                Map<String, List<String>> perOrder = byOrder(got);
                assertEquals(List.of("PAID/null", "REFUNDED/8.80", "REFUNDED/88.80"), perOrder.get(refunded));
                assertEquals(List.of("PAID/null", "FINISHED/null"), perOrder.get(finished));
                assertEquals(List.of("CLOSED/null"), perOrder.get(closed));
                assertEquals(List.of("PAID/null", "ATTENTION/null"), perOrder.get(late));
                assertEquals(8, got.size(), "each once: " + got);
                assertTrue(got.stream().allMatch(Delivery::signatureValid));
                String paid = got.get(0).body();
                assertEquals("88.80", field(paid, "total_amount"));
                assertEquals(pay.get("trade_no"), field(paid, "trade_no"));
                assertEquals("2026-11-25T10:00:05+08:00", field(paid, "gmt_payment"));
                assertTrue(server.get("/alipay/metrics").body().contains("alipay_notify_events_delivered_total 8.0"));
                assertTrue(server.get("/alipay/health").body().contains("\"events\":{\"relay\":\"on\""));
            }
        }
    }

    @Test
    void aReceiverDownForAWhileGetsEverythingInOrderOnceItIsBack() throws Exception {
        forgetEarlierEvents();
        List<String> orders = payAndRefund(5);
        try (EventReceiver receiver = new EventReceiver(SECRET)) {
            long backAt = System.nanoTime() + 2_500_000_000L;
            receiver.answer(() -> System.nanoTime() < backAt ? 503 : 200);
            Relay relay = relay(receiver, FAST, Duration.ofSeconds(30), pool, "relay-down");
            relay.start();
            try {
                List<Delivery> got = receiver.await(15, Duration.ofSeconds(20));
                assertEquals(15, got.size());
                Map<String, List<String>> perOrder = byOrder(got);
                for (String id : orders) {
                    assertEquals(List.of("PAID/null", "REFUNDED/2.00", "REFUNDED/5.00"), perOrder.get(id), id);
                }
                assertTrue(relay.retried() > 0, "it was down");
                assertEquals(0, relay.parked());
            } finally {
                relay.close();
            }
        }
    }

    @Test
    void aReceiverFailingForEverParksTheEventAfterTheScheduleAndItCanBeReQueued() throws Exception {
        forgetEarlierEvents();
        String order = payAndRefund(1).get(0);
        try (EventReceiver receiver = new EventReceiver(SECRET)) {
            receiver.answer(() -> 500);
            Relay relay = relay(receiver, List.of(Duration.ofMillis(100), Duration.ofMillis(100)),
                    Duration.ofSeconds(30), pool, "relay-500");
            for (int i = 0; i < 50 && relay.parked() == 0; i++) {
                relay.runOnce();
                Thread.sleep(60);
            }
            assertEquals(1, relay.parked(), "the first event parked after 3 attempts");
            assertEquals("DEAD", db.scalar("SELECT status FROM alipay_notify_event WHERE aggregateid = ? AND"
                    + " type = 'PAID'", order));
            assertEquals(3L, ((Number) db.scalar("SELECT attempts FROM alipay_notify_event WHERE aggregateid = ? AND"
                    + " type = 'PAID'", order)).longValue());
            assertEquals("HTTP 500", db.scalar("SELECT last_error FROM alipay_notify_event WHERE aggregateid = ? AND"
                    + " type = 'PAID'", order));
            assertEquals(0, relay.runOnce(), "the refunds wait behind the parked payment: order kept");

            receiver.answer(() -> 200);
            // the README's re-queue statement
            db.execute("UPDATE alipay_notify_event SET status = 'PENDING', attempts = 0, next_attempt_at ="
                    + " UTC_TIMESTAMP(3) WHERE status = 'DEAD'");
            for (int i = 0; i < 10 && receiver.deliveries().size() < 3; i++) {
                relay.runOnce();
            }
            assertEquals(List.of("PAID/null", "REFUNDED/2.00", "REFUNDED/5.00"),
                    byOrder(receiver.deliveries()).get(order));
        }
    }

    @Test
    void twoRelaysOnOneDatabaseNeverDeliverAnEventTwiceAtOnceAndLoseNone() throws Exception {
        forgetEarlierEvents();
        List<String> orders = payAndRefund(40);
        try (EventReceiver receiver = new EventReceiver(SECRET);
                HikariDataSource poolA = Database.open(settings());
                HikariDataSource poolB = Database.open(settings())) {
            receiver.delay(Duration.ofMillis(3));
            Relay a = relay(receiver, FAST, Duration.ofSeconds(30), poolA, "relay-a");
            Relay b = relay(receiver, FAST, Duration.ofSeconds(30), poolB, "relay-b");
            a.start();
            b.start();
            try {
                List<Delivery> got = receiver.await(120, Duration.ofSeconds(60));
                Thread.sleep(1_000);
                got = receiver.deliveries();
                assertEquals(0, receiver.concurrentDuplicates());
                assertEquals(120, got.size(), "every event, once");
                assertEquals(120, got.stream().map(Delivery::eventId).distinct().count());
                Map<String, List<String>> perOrder = byOrder(got);
                for (String id : orders) {
                    assertEquals(List.of("PAID/null", "REFUNDED/2.00", "REFUNDED/5.00"), perOrder.get(id), id);
                }
                assertTrue(a.delivered() > 0 && b.delivered() > 0, "both took part: " + a.delivered() + " + "
                        + b.delivered());
            } finally {
                a.close();
                b.close();
            }
        }
    }

    @Test
    void aRelayThatDiesMidDeliveryLeavesTheEventToBeDeliveredAgainNeverLost() throws Exception {
        forgetEarlierEvents();
        String order = Notifications.uniqueId("ev-die-");
        db.insertOrder(order, "3.00");
        assertEquals(Outcome.APPLIED, ledger.apply(checked.of(Notifications.tradeSuccess(order, "3.00")), "x")
                .outcome());
        try (EventReceiver receiver = new EventReceiver(SECRET)) {
            CountDownLatch hang = new CountDownLatch(1);
            AtomicInteger calls = new AtomicInteger();
            receiver.answer(() -> {
                if (calls.incrementAndGet() == 1) {
                    try {
                        hang.await(10, TimeUnit.SECONDS); // the first delivery never ends while A lives
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return 500;
                }
                return 200;
            });
            HikariDataSource poolA = Database.open(settings());
            Relay a = new Relay(poolA, receiver.uri(), SECRET, FAST, 8_000, Duration.ofSeconds(1), Clock.systemUTC(),
                    "relay-dies", "test");
            ExecutorService runner = Executors.newSingleThreadExecutor();
            Future<?> dying = runner.submit(() -> {
                try {
                    a.runOnce();
                } catch (Exception expected) {
                    // its pool is gone: it cannot mark anything
                }
                return null;
            });
            long deadline = System.currentTimeMillis() + 5_000;
            while (db.scalar("SELECT locked_by FROM alipay_notify_event WHERE aggregateid = ?", order) == null) {
                assertTrue(System.currentTimeMillis() < deadline, "A never claimed");
                Thread.sleep(20);
            }
            poolA.close(); // A dies: its claim stays behind, with its lease
            Thread.sleep(1_200); // the lease runs out
            Relay b = relay(receiver, FAST, Duration.ofSeconds(30), pool, "relay-after-restart");
            assertEquals(1, b.runOnce());
            assertEquals("DELIVERED", db.scalar("SELECT status FROM alipay_notify_event WHERE aggregateid = ?", order));
            assertEquals(List.of("PAID/null"), byOrder(receiver.deliveries()).get(order));
            hang.countDown();
            dying.get(15, TimeUnit.SECONDS);
            runner.shutdown();
            assertEquals("DELIVERED", db.scalar("SELECT status FROM alipay_notify_event WHERE aggregateid = ?", order),
                    "the dead instance's late answer changes nothing");
        }
    }
}
