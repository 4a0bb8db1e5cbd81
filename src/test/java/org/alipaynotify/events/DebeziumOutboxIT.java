package org.alipaynotify.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alipaynotify.Outcome;
import org.alipaynotify.boot.Database;
import org.alipaynotify.boot.Migrations;
import org.alipaynotify.config.Settings;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.ops.Purge;
import org.alipaynotify.request.CheckedNotifications;
import org.alipaynotify.testsupport.EventReceiver;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.PrivateMariaDb;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.StringConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Change data capture instead of the relay (issue 13): Debezium's embedded engine with its MariaDB connector and the
 * stock outbox event router ({@code io.debezium.transforms.outbox.EventRouter}, no column renamed in its settings)
 * reads {@code alipay_notify_event} as V5 creates it and {@link Outbox} fills it, from a private MariaDB 10.11 with the
 * binary log on, as a user with only the README's grants. An event written before the connector starts comes through
 * its snapshot, the later ones from the binary log; each once, on {@code outbox.event.alipay_trade}, keyed by
 * out_trade_no, the payload as the value, in order per order. The relay's UPDATEs and the retention purge's DELETEs
 * add no record. The connector settings are the README's ("Change data capture instead of the relay"); this test's
 * host, port and database, offsets and schema history in memory, and the README's converters applied here to each
 * record. A column renamed in V5 stops the engine with the router's error ("aggregatetype is not a valid field name").
 */
class DebeziumOutboxIT {
    static final String DB = "cdc";
    static final String CDC_USER = "cdc";
    static final String CDC_PASSWORD = "cdc-password-1";
    static final String TOPIC = "outbox.event.alipay_trade";
    static final byte[] SECRET = "test-secret-0123456789abcdef0123456789".getBytes(StandardCharsets.UTF_8);

    static PrivateMariaDb server;
    static HikariDataSource pool;
    static TradeLedger ledger;
    static CheckedNotifications checked;
    static long startedNanos;

    static final BlockingQueue<SourceRecord> records = new LinkedBlockingQueue<>();
    static final AtomicReference<String> engineEnded = new AtomicReference<>();
    static DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    static ExecutorService engineThread;

    @BeforeAll
    static void start() throws Exception {
        startedNanos = System.nanoTime();
        // what the connector needs of the server: a binary log in ROW format with full row images, a server id
        server = PrivateMariaDb.start("--log-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1");
        String url = server.createDatabase(DB);
        try (Connection c = DriverManager.getConnection(url, "root", ""); Statement st = c.createStatement()) {
            Migrations.fromClassPath().apply(c);
            // the connector's user, with the grants the README lists and nothing else
            st.execute("CREATE USER '" + CDC_USER + "'@'127.0.0.1' IDENTIFIED BY '" + CDC_PASSWORD + "'");
            st.execute("GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '"
                    + CDC_USER + "'@'127.0.0.1'");
        }
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.PUBLIC_KEY, "unused-here");
        s.put(Settings.DB_URL, url);
        s.put(Settings.DB_USER, "root");
        pool = Database.open(Settings.load(s, Map.of()));
        ledger = new TradeLedger(pool, OrderMapping.ownTable(), new Outbox(Clock.systemUTC()));
        checked = new CheckedNotifications(Notifications.APP_ID);
        System.out.println("DebeziumOutboxIT: private MariaDB with the binary log (ROW, FULL), schema applied in "
                + millis(startedNanos) + " ms");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (engine != null) {
                if (engineEnded.get() == null) { // a failed engine has shut itself down
                    engine.close();
                }
                engineThread.shutdown();
                engineThread.awaitTermination(30, TimeUnit.SECONDS);
            }
        } finally {
            if (pool != null) {
                pool.close();
            }
            if (server != null) {
                server.close();
            }
            System.out.println("DebeziumOutboxIT: " + millis(startedNanos) + " ms in all");
        }
    }

    /** The README's connector settings, as a Kafka Connect worker would be given them; the engine's own below. */
    static Properties connector() {
        Properties p = new Properties();
        p.setProperty("name", "alipay-notify-outbox");
        p.setProperty("connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
        p.setProperty("database.hostname", "127.0.0.1");
        p.setProperty("database.port", server.serverUrl().replaceAll(".*:(\\d+)/$", "$1"));
        p.setProperty("database.user", CDC_USER);
        p.setProperty("database.password", CDC_PASSWORD);
        p.setProperty("database.server.id", "5400");
        p.setProperty("topic.prefix", "alipay-notify");
        p.setProperty("database.include.list", DB);
        p.setProperty("table.include.list", DB + ".alipay_notify_event");
        p.setProperty("include.schema.changes", "false");
        p.setProperty("transforms", "outbox");
        p.setProperty("transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter");
        p.setProperty("transforms.outbox.table.fields.additional.placement", "type:header:eventType");
        // the embedded engine's: offsets and schema history in memory (a Kafka Connect worker keeps them in Kafka)
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
        return p;
    }

    static void startEngine() {
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(connector())
                .using((success, message, error) -> engineEnded.set((success ? "ended: " : "failed: ") + message
                        + (error == null ? "" : " (" + error + ")")))
                .notifying(event -> records.add(event.record()))
                .build();
        engineThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "debezium-engine"));
        engineThread.execute(engine);
    }

    /** The next record the router emits, failing at once if the engine stopped (say, on a column it did not find). */
    static SourceRecord next(String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            SourceRecord r = records.poll(100, TimeUnit.MILLISECONDS);
            if (r != null) {
                return r;
            }
            if (engineEnded.get() != null) {
                fail("the Debezium engine stopped while waiting for " + what + ": " + engineEnded.get());
            }
        }
        return fail("no record within 30 s while waiting for " + what);
    }

    static String newOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("cdc-");
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, ?)")) {
            ps.setString(1, id);
            ps.setBigDecimal(2, new java.math.BigDecimal(amount));
            ps.executeUpdate();
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
        return id;
    }

    static void apply(Map<String, String> params, Outcome expected) throws Exception {
        assertEquals(expected, ledger.apply(checked.of(params), "127.0.0.1").outcome());
    }

    /** The outbox as the database has it: event id to {aggregatetype, aggregateid, type, payload}, in seq order. */
    static Map<String, List<String>> outbox() throws Exception {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id, aggregatetype, aggregateid, type, payload FROM alipay_notify_event ORDER BY seq");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString(1), List.of(rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5)));
            }
        }
        return rows;
    }

    static long undelivered() throws Exception {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT COUNT(*) FROM alipay_notify_event WHERE status <> 'DELIVERED'");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String header(SourceRecord r, String key) {
        Header h = r.headers().lastWithName(key);
        return h == null ? null : String.valueOf(h.value());
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"([^\"]*)\"|null|true|false)").matcher(json);
        return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : "(absent)";
    }

    /**
     * What a Kafka consumer gets for one record: with {@code StringConverter} for key and value (the README's setting)
     * the key is out_trade_no and the value the payload, byte for byte.
     */
    static void checkRecord(SourceRecord r, Map<String, List<String>> rows, String order, String type,
            String refundFee) {
        assertEquals(TOPIC, r.topic(), "aggregatetype routes the event");
        assertEquals(order, r.key(), "aggregateid is the key");
        String id = header(r, "id");
        assertNotNull(id, "the router puts the event id in header id: " + r.headers());
        List<String> row = rows.get(id);
        assertNotNull(row, "the record's id " + id + " is an outbox row's id");
        assertEquals(List.of("alipay_trade", order, type), row.subList(0, 3));
        assertEquals(type, header(r, "eventType"), "type, placed as header eventType");
        assertEquals(row.get(3), r.value(), "the value is the payload column as written");
        String payload = (String) r.value();
        assertEquals(id, field(payload, "id"));
        assertEquals(type, field(payload, "type"));
        assertEquals(order, field(payload, "out_trade_no"));
        assertEquals(refundFee, field(payload, "refund_fee"));

        StringConverter string = new StringConverter();
        string.configure(Map.of(), false);
        assertArrayEquals(payload.getBytes(StandardCharsets.UTF_8),
                string.fromConnectData(r.topic(), r.valueSchema(), r.value()));
        StringConverter stringKey = new StringConverter();
        stringKey.configure(Map.of(), true);
        assertArrayEquals(order.getBytes(StandardCharsets.UTF_8),
                stringKey.fromConnectData(r.topic(), r.keySchema(), r.key()));
        // why the README says StringConverter: Kafka Connect's JsonConverter would send the payload as a JSON string
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "false"), false);
        String quoted = new String(json.fromConnectData(r.topic(), r.valueSchema(), r.value()), StandardCharsets.UTF_8);
        assertTrue(quoted.startsWith("\"{\\\"id\\\":"), quoted);
    }

    @Test
    void theStockOutboxRouterEmitsEachEventOnceInOrderAndNothingForTheRelaysUpdatesOrThePurge() throws Exception {
        String a = newOrder("88.80");
        String b = newOrder("20.00");
        String c = newOrder("5.00");

        // before the connector starts: its snapshot publishes what the table already holds
        Map<String, String> payA = Notifications.tradeSuccess(a, "88.80");
        apply(payA, Outcome.APPLIED);
        long engineStart = System.nanoTime();
        startEngine();
        SourceRecord first = next("the payment written before the connector started");
        System.out.println("DebeziumOutboxIT: engine started, snapshot read, first record after "
                + millis(engineStart) + " ms");

        // then from the binary log: a partial refund, the full refund (TRADE_CLOSED), another order's payment
        Map<String, String> partial = Notifications.next(payA, "TRADE_SUCCESS");
        partial.put("refund_fee", "8.80");
        partial.put("gmt_refund", "2026-11-26 09:00:00.000");
        apply(partial, Outcome.REFUND_RECORDED);
        Map<String, String> full = Notifications.next(payA, "TRADE_CLOSED");
        full.put("refund_fee", "88.80");
        full.put("gmt_refund", "2026-11-27 08:00:00.000");
        full.put("gmt_close", "2026-11-27 08:00:01");
        apply(full, Outcome.APPLIED);
        apply(Notifications.tradeSuccess(b, "20.00"), Outcome.APPLIED);

        List<SourceRecord> got = new ArrayList<>(List.of(first));
        for (int i = 0; i < 3; i++) {
            got.add(next("event " + (i + 2) + " of 4"));
        }
        Map<String, List<String>> rows = outbox();
        assertEquals(4, rows.size(), "the ledger wrote four events: " + rows.values());
        checkRecord(got.get(0), rows, a, "PAID", "null");
        checkRecord(got.get(1), rows, a, "REFUNDED", "8.80");
        checkRecord(got.get(2), rows, a, "REFUNDED", "88.80");
        checkRecord(got.get(3), rows, b, "PAID", "null");
        List<String> ids = got.stream().map(r -> header(r, "id")).toList();
        assertEquals(List.copyOf(rows.keySet()), ids, "each row once, in the order it was written");

        // the relay on as well: it claims and marks each event (two UPDATEs a row); then the purge deletes them
        try (EventReceiver receiver = new EventReceiver(SECRET)) {
            Relay relay = new Relay(pool, receiver.uri(), SECRET, List.of(Duration.ofMillis(100)), 2_000,
                    Clock.systemUTC(), "relay-beside-cdc", "test");
            for (int i = 0; i < 20 && undelivered() > 0; i++) {
                relay.runOnce();
            }
            assertEquals(0, undelivered(), "the relay delivered every event");
            assertEquals(4, receiver.deliveries().size());
        }
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(2));
        long[] purged = new Purge(pool, Duration.ZERO, Duration.ZERO, Duration.ofDays(1), true, later).run();
        assertEquals(4, purged[3], "the purge deleted the delivered events");
        assertTrue(outbox().isEmpty());

        // a last event: the binary log is read in order, so a record for any UPDATE or DELETE above would come first
        apply(Notifications.tradeSuccess(c, "5.00"), Outcome.APPLIED);
        SourceRecord last = next("the payment after the relay and the purge");
        checkRecord(last, outbox(), c, "PAID", "null");
        assertNull(records.poll(500, TimeUnit.MILLISECONDS), "nothing after it");
        assertNull(engineEnded.get(), "the engine is still running");
    }

    static long millis(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
