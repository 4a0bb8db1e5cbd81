package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.alipaynotify.Outcome;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.request.HostileCorpus.Entry;
import org.alipaynotify.request.HostileCorpus.Expect;
import org.alipaynotify.request.HostileCorpus.Generator;
import org.alipaynotify.request.HostileCorpus.RawResponse;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.alipaynotify.request.HostileCorpus.Entry;
import org.alipaynotify.request.HostileCorpus.Expect;
import org.alipaynotify.request.HostileCorpus.Generator;
import org.alipaynotify.request.HostileCorpus.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * Every request of the hostile corpus ({@code src/test/resources/hostile-corpus/}, format in its README.md) sent over
 * real HTTP to the built WAR in Jetty 12, against the real database, in certificate mode. For each: the expected
 * status, body and outcome; never a 5xx; nothing in the body but {@code success}/{@code failure}; no database change
 * unless the entry expects one; a refused body never stored beyond the size limit; the giant entries answered fast.
 */
class HostileCorpusIT {
    private static final int MAX_BODY_BYTES = 65_536;
    private static final AtomicLong SEQ = new AtomicLong(System.currentTimeMillis() % 100_000_000L * 100);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static SandboxKeys keys;
    private static PrivateKey strangerKey;
    private static WarServer server;
    /** The test's own connection for its checks (autocommit: every query sees what the webapp committed). */
    private static Connection connection;
    private static long suiteStarted;
    private static final List<String> summary = new ArrayList<>();
    private static final AtomicLong entriesRun = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        suiteStarted = System.nanoTime();
        db = TestDatabase.get();
        keys = SandboxKeys.generate();
        strangerKey = SandboxKeys.generate().keyPair().getPrivate();
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.SELLER_ID, "2088999999999999," + SandboxKeys.PID);
        s.put(Settings.CERT_PATH, keys.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt")).toString());
        s.put(Settings.DB_URL, db.url());
        s.put(Settings.DB_USER, db.user());
        s.put(Settings.DB_PASSWORD, db.password());
        s.put(Settings.MAX_BODY_BYTES, Integer.toString(MAX_BODY_BYTES));
        // every refusal's record is checked here; the budget's own test is FloodIT
        s.put(Settings.REFUSAL_RECORDS_PER_SECOND, "100000");
        server = WarServer.start(s);
        assertNull(server.startupFailure());
        connection = db.connect();
    }

    @AfterAll
    static void stop() throws Exception {
        if (connection != null) {
            connection.close();
        }
        if (server != null) {
            server.close();
        }
        System.out.printf("hostile corpus: %d entries in %.1f s (server start included)%n", entriesRun.get(),
                (System.nanoTime() - suiteStarted) / 1e9);
        summary.forEach(System.out::println);
    }

    @Test
    void theCorpusHoldsAtLeastFiftyEntriesAndItsReadme() throws Exception {
        List<Path> files = HostileCorpus.files();
        assertTrue(files.size() >= 50, "only " + files.size() + " corpus entries");
        assertTrue(Files.isRegularFile(files.get(0).resolveSibling("README.md")));
        for (Path f : files) {
            assertTrue(f.getFileName().toString().matches("[0-9]{3}-[a-z0-9-]+\\.http"), f.toString());
            HostileCorpus.parse(f);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusEntry() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : HostileCorpus.files()) {
            Entry e = HostileCorpus.parse(f);
            tests.add(DynamicTest.dynamicTest(e.name(), f.toUri(), () -> run(e)));
        }
        return tests.stream();
    }

    // ------------------------------------------------------------------------------------------------ one entry

    private static void run(Entry e) throws Exception {
        entriesRun.incrementAndGet();
        long seq = SEQ.incrementAndGet();
        Map<String, String> values = new HashMap<>();
        values.put("SEQ", Long.toString(seq));
        values.put("NOTIFY_ID", "2026112500222" + seq);
        values.put("TRADE_NO", "2026112522001" + seq);
        String order = null;
        String order2 = null;
        if (e.order() != null) {
            order = e.orderId() != null ? HostileCorpus.expand(e.orderId(), values::get)
                    : "hc-" + e.name().substring(0, 3) + "-" + seq;
            db.insertOrder(order, e.order());
            values.put("ORDER", HostileCorpus.formEncode(order));
        }
        if (e.order2() != null) {
            order2 = "hc-" + e.name().substring(0, 3) + "-b-" + seq;
            db.insertOrder(order2, e.order2());
            values.put("ORDER2", HostileCorpus.formEncode(order2));
        }
        List<byte[]> bodies = new ArrayList<>();
        for (int n = 1; n <= e.expects().size(); n++) {
            bodies.add(body(e, e.template(n), values));
        }
        String path = HostileCorpus.expand(e.path(), name -> Objects.requireNonNull(values.get(name),
                () -> e.name() + ": unknown placeholder {{" + name + "}} in the path"));

        Map<String, String> ordersBefore = orders();
        long notifyBefore = maxId("alipay_notify");
        List<String> lines = new ArrayList<>();
        try {
            for (int n = 0; n < e.expects().size(); n++) {
                Expect expect = e.expects().get(n);
                long refusedMark = maxId("alipay_notify_refused");
                long notifyMark = maxId("alipay_notify");
                RawResponse r = send(e, path, bodies.get(n));
                String where = e.name() + (e.expects().size() > 1 ? " #" + (n + 1) : "") + " (expected " + expect
                        + ")";
                String outcome = outcome(refusedMark, notifyMark);
                lines.add(String.format("  %-46s %-38s %5d ms  %s", e.name(), expect, r.elapsedMs(), outcome));
                // what must hold for every request, known bug or not
                hard(r.error() == null, where + ": no answer: " + r.error());
                hard(r.status() < 500, where + ": answered " + r.status() + " " + r.bodyText());
                hard(r.elapsedMs() <= e.maxMs(), where + ": answered after " + r.elapsedMs() + " ms, more than the "
                        + e.maxMs() + " ms allowed");
                hard(!r.bodyText().contains("Exception") && !r.bodyText().contains("\tat "), where + ": a stack"
                        + " trace in the answer: " + r.bodyText());
                if (expect.byContainer()) {
                    // refused by Jetty's HTTP parser: the webapp never saw it (checkRecords: no row anywhere)
                    assertEquals(expect.status(), r.status(), () -> where + ": " + r.bodyText());
                    checkRecords(where, expect, order, refusedMark, notifyMark);
                    continue;
                }
                hard(r.bodyText().equals("success") || r.bodyText().equals("failure"), where + ": body is not"
                        + " success/failure: " + r.bodyText());
                hard(r.headers().getOrDefault("content-type", "").startsWith("text/plain"), where
                        + ": content type " + r.headers().get("content-type"));
                // what this entry expects
                assertEquals(expect.status() + " " + expect.answer(), r.status() + " " + r.bodyText(),
                        () -> where + ": outcome " + outcome);
                if (Outcome.valueOf(expect.outcome()) == Outcome.METHOD_NOT_ALLOWED) {
                    assertEquals("POST", r.headers().get("allow"), where + ": Allow header");
                }
                checkRecords(where, expect, order, refusedMark, notifyMark);
            }
            checkDatabase(e, order, ordersBefore, notifyBefore);
        } catch (HardFailure hard) {
            throw hard;
        } catch (AssertionFailedError wrong) {
            if (e.knownBug() == null) {
                throw wrong;
            }
            lines.add("    KNOWN BUG still present: " + e.knownBug());
            summary.addAll(lines);
            Assumptions.abort("KNOWN BUG (" + e.knownBug() + "): " + wrong.getMessage());
        }
        if (e.knownBug() != null) {
            lines.add("    known-bug entry now answers as expected: remove its known-bug line");
        }
        summary.addAll(lines);
    }

    /** A violated invariant of every request: never excused by a known-bug line. */
    static final class HardFailure extends AssertionFailedError {
        private static final long serialVersionUID = 1L;

        HardFailure(String message) {
            super(message);
        }
    }

    private static void hard(boolean condition, String message) {
        if (!condition) {
            throw new HardFailure(message);
        }
    }

    private static void checkDatabase(Entry e, String order, Map<String, String> ordersBefore, long notifyBefore)
            throws SQLException {
        Map<String, String> ordersAfter = orders();
        if (e.db().equals("unchanged")) {
            assertEquals(notifyBefore, maxId("alipay_notify"), e.name() + ": alipay_notify changed");
            assertEquals(ordersBefore, ordersAfter, e.name() + ": alipay_order changed");
        } else if (e.db().equals("flagged")) {
            // a signed notification that moved money but cannot be applied: the order is flagged, nothing else
            assertNotNull(order, e.name() + ": db flagged needs an order");
            assertEquals(List.of(List.of("WAIT_BUYER_PAY", 0, 1)), rows("SELECT trade_status, paid + 0,"
                    + " needs_attention + 0 FROM alipay_order WHERE out_trade_no = ?", order).stream()
                    .map(r -> List.<Object>of(r.get(0), ((Number) r.get(1)).intValue(), ((Number) r.get(2)).intValue()))
                    .toList(), e.name() + ": order " + order);
            ordersBefore.remove(order);
            ordersAfter.remove(order);
            assertEquals(ordersBefore, ordersAfter, e.name() + ": another alipay_order row changed");
        } else if (e.db().startsWith("order=")) {
            assertNotNull(order, e.name() + ": db order=... needs an order");
            assertEquals(List.of(List.of(e.db().substring("order=".length()))),
                    rows("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", order),
                    e.name() + ": trade_status of " + order);
            ordersBefore.remove(order);
            ordersAfter.remove(order);
            assertEquals(ordersBefore, ordersAfter, e.name() + ": another alipay_order row changed");
        } else {
            fail(e.name() + ": unknown db expectation '" + e.db() + "'");
        }
    }

    /** The refusal journal or the notification table got exactly the row this answer implies, and nothing else. */
    private static void checkRecords(String where, Expect expect, String order, long refusedMark, long notifyMark)
            throws SQLException {
        List<List<Object>> refused = rows("SELECT outcome, http_status, LENGTH(body) FROM alipay_notify_refused"
                + " WHERE id > ? ORDER BY id", refusedMark);
        List<List<Object>> accepted = rows("SELECT outcome, out_trade_no FROM alipay_notify WHERE id > ? ORDER BY id",
                notifyMark);
        if (expect.byContainer()) {
            assertEquals(List.of(), accepted, where + ": the webapp recorded a notification");
            assertEquals(List.of(), refused, where + ": the webapp saw the request (expected the container to refuse"
                    + " it)");
        } else if (expect.outcome().equals(Outcome.AMOUNT_MISMATCH.name())) {
            // signed: the ledger records it among the notifications (the first delivery), never among the refusals
            assertEquals(0, refused.size(), where + ": a signed mismatch was journaled as a refusal: " + refused);
            assertTrue(accepted.size() <= 1, where + ": rows added to alipay_notify: " + accepted);
            accepted.forEach(a -> assertEquals(expect.outcome(), a.get(0), where + ": outcome"));
        } else if (expect.outcome().equals(Outcome.UNKNOWN_ORDER.name())) {
            // signed: kept in alipay_notify_unmatched (the test for that lives in TradeLedgerIT)
            assertEquals(0, refused.size(), where + ": a signed unknown order was journaled as a refusal: " + refused);
            assertEquals(0, accepted.size(), where + ": an unknown order was recorded in alipay_notify");
        } else if (expect.answer().equals("failure")) {
            assertEquals(0, accepted.size(), where + ": a refused request was recorded in alipay_notify");
            refused = awaitRows("SELECT outcome, http_status, LENGTH(body), body_length FROM alipay_notify_refused"
                    + " WHERE id > ? ORDER BY id", refusedMark);
            assertEquals(1, refused.size(), where + ": rows added to alipay_notify_refused: " + refused);
            assertEquals(expect.outcome(), refused.get(0).get(0), where + ": outcome");
            assertEquals(expect.status(), ((Number) refused.get(0).get(1)).intValue(), where + ": journal status");
            Object stored = refused.get(0).get(2);
            assertTrue(stored == null || ((Number) stored).longValue() <= MAX_BODY_BYTES,
                    where + ": journal holds " + stored + " bytes of body, more than the limit");
            Object received = refused.get(0).get(3);
            boolean verified = AFTER_VERIFICATION.contains(Outcome.valueOf(expect.outcome()));
            assertTrue(stored == null || verified || ((Number) stored).longValue() <= 2_048
                    || received != null && ((Number) received).longValue() == ((Number) stored).longValue()
                    && ((Number) stored).longValue() <= 2_048,
                    where + ": an unverified body was kept beyond its 2 KiB prefix: " + stored + " bytes");
        } else {
            assertEquals(0, refused.size(), where + ": an acknowledged request was journaled as refused: " + refused);
            if (expect.outcome().equals(Outcome.DUPLICATE.name())) {
                assertEquals(0, accepted.size(), where + ": a duplicate added a row to alipay_notify");
            } else {
                assertEquals(1, accepted.size(), where + ": rows added to alipay_notify: " + accepted);
                assertEquals(expect.outcome(), accepted.get(0).get(0), where + ": outcome");
                assertEquals(order, accepted.get(0).get(1), where + ": out_trade_no recorded");
            }
        }
    }

    /** Refusals that can only happen once the signature verified: their records keep the body whole. */
    private static final java.util.Set<Outcome> AFTER_VERIFICATION = java.util.EnumSet.of(Outcome.MISSING_FIELD,
            Outcome.INVALID_FIELD, Outcome.APP_ID_MISMATCH, Outcome.SELLER_ID_MISMATCH,
            Outcome.UNSUPPORTED_NOTIFY_TYPE, Outcome.UNKNOWN_TRADE_STATUS);

    /** Refusal records are written by a thread of their own shortly after the answer: wait for the one expected. */
    private static List<List<Object>> awaitRows(String sql, long mark) throws SQLException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<List<Object>> r = rows(sql, mark);
        while (r.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            r = rows(sql, mark);
        }
        return r;
    }

    /** What the webapp recorded for the last request: outcome and reason, for messages and the summary. */
    private static String outcome(long refusedMark, long notifyMark) {
        try {
            List<List<Object>> r = rows("SELECT outcome, reason FROM alipay_notify_refused WHERE id > ?", refusedMark);
            List<List<Object>> a = rows("SELECT outcome, reason FROM alipay_notify WHERE id > ?", notifyMark);
            List<List<Object>> all = new ArrayList<>(r);
            all.addAll(a);
            return all.isEmpty() ? "(no row)" : all.size() == 1 ? all.get(0).get(0) + " \"" + all.get(0).get(1)
                    + "\"" : all.toString();
        } catch (SQLException ex) {
            return ex.toString();
        }
    }

    // ------------------------------------------------------------------------------------------------ the body

    /**
     * Placeholders and generators, then the signature over what the body then says, then the tampering, then the
     * fill to an exact size.
     */
    static byte[] body(Entry e, String template, Map<String, String> values) throws Exception {
        Map<String, Integer> fills = new LinkedHashMap<>();
        Map<String, String> fillChar = new HashMap<>();
        for (Generator g : e.generators()) {
            if (g.function().equals("fill")) {
                fills.put(g.name(), Integer.parseInt(g.args().get(0)));
                fillChar.put(g.name(), g.args().get(1));
            } else {
                values.put(g.name(), HostileCorpus.generate(g, values::get));
            }
        }
        Function<String, String> pass1 = name -> name.equals("SIGN") || fills.containsKey(name) ? null
                : Objects.requireNonNull(values.get(name), () -> e.name() + ": unknown placeholder {{" + name + "}}");
        String text = HostileCorpus.expand(template, pass1);

        String unsigned = HostileCorpus.expand(text, name -> "");
        if (!e.sign().equals("none")) {
            if (!text.contains("{{SIGN}}") && !e.path().contains("{{SIGN}}")) {
                throw new IllegalArgumentException(e.name() + ": sign " + e.sign() + " but no {{SIGN}} to put it in");
            }
            values.put("SIGN", HostileCorpus.formEncode(sign(unsigned, e.sign())));
            text = text.replace("{{SIGN}}", values.get("SIGN"));
        }
        for (String[] t : e.tampers()) {
            String from = HostileCorpus.expand(t[0], values::get);
            String to = HostileCorpus.expand(t[1], values::get);
            if (!text.contains(from)) {
                throw new IllegalArgumentException(e.name() + ": tamper: '" + from + "' is not in the body");
            }
            text = text.replace(from, to);
        }
        for (Map.Entry<String, Integer> f : fills.entrySet()) {
            String placeholder = "{{" + f.getKey() + "}}";
            int rest = text.length() - placeholder.length();
            text = text.replace(placeholder, fillChar.get(f.getKey()).repeat(f.getValue() - rest));
        }
        if (text.contains("{{")) {
            throw new IllegalArgumentException(e.name() + ": placeholder left in the body: " + text);
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Rule V1 over the fields the body holds, as Alipay signs: RSA2, SHA1 (legacy RSA) or by a stranger's key. */
    private static String sign(String isoBody, String mode) throws Exception {
        Map<String, String> fields = HostileCorpus.decodeForm(isoBody);
        Charset charset = HostileCorpus.bodyCharset(fields);
        Signature s = Signature.getInstance(mode.equals("sha1") ? "SHA1withRSA" : "SHA256withRSA");
        s.initSign(mode.equals("other-key") ? strangerKey : keys.keyPair().getPrivate());
        s.update(AlipaySigner.signContent(fields).getBytes(charset));
        return Base64.getEncoder().encodeToString(s.sign());
    }

    // ------------------------------------------------------------------------------------------------ sending

    private static RawResponse send(Entry e, String path, byte[] body) throws Exception {
        int port = server.uri("/").getPort();
        if (!e.raw()) {
            long started = System.nanoTime();
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(10))
                    .method(e.method(), body.length == 0 && !e.method().equals("POST")
                            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (!e.contentType().equals("none")) {
                b.header("Content-Type", e.contentType());
            }
            for (String h : e.headers()) {
                int colon = h.indexOf(':');
                b.header(h.substring(0, colon).strip(), h.substring(colon + 1).strip());
            }
            HttpResponse<byte[]> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> headers = new TreeMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            return new RawResponse(r.statusCode(), headers, r.body(), (System.nanoTime() - started) / 1_000_000,
                    null);
        }
        Map<String, String> opt = e.transferOptions();
        boolean chunked = e.transfer().equals("chunked");
        StringBuilder head = new StringBuilder();
        head.append(e.method()).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: 127.0.0.1:").append(port).append("\r\n");
        if (!e.contentType().equals("none")) {
            head.append("Content-Type: ").append(e.contentType()).append("\r\n");
        }
        if (chunked) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        if (e.contentLength() == null) {
            if (!chunked) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
        } else if (!e.contentLength().equals("none")) {
            head.append("Content-Length: ").append(e.contentLength()).append("\r\n");
        }
        for (String h : e.headers()) {
            head.append(h).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        List<byte[]> pieces;
        long pause = Long.parseLong(opt.getOrDefault("pause-ms", "0"));
        switch (e.transfer()) {
            case "chunked":
                pieces = HostileCorpus.chunked(body, Integer.parseInt(opt.getOrDefault("chunk", "1024")));
                break;
            case "slow":
                pieces = HostileCorpus.pieces(body, Integer.parseInt(opt.getOrDefault("pieces", "4")));
                pause = Long.parseLong(opt.getOrDefault("pause-ms", "400"));
                break;
            case "headers-only":
                pieces = List.of();
                break;
            default:
                pieces = HostileCorpus.pieces(body, Integer.parseInt(opt.getOrDefault("pieces",
                        Integer.toString(Math.max(1, body.length / 65_536)))));
        }
        return HostileCorpus.exchange(port, head.toString().getBytes(StandardCharsets.ISO_8859_1), pieces, pause,
                e.halfClose());
    }

    // ------------------------------------------------------------------------------------------------ database

    /** Every alipay_order row, every column, keyed by out_trade_no. */
    private static Map<String, String> orders() throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT * FROM alipay_order");
                ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.append(md.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
                }
                out.put(rs.getString("out_trade_no"), row.toString());
            }
        }
        return out;
    }

    private static long maxId(String table) throws SQLException {
        return ((Number) rows("SELECT COALESCE(MAX(id), 0) FROM " + table).get(0).get(0)).longValue();
    }

    private static List<List<Object>> rows(String sql, Object... args) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.add(rs.getObject(i));
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }
}
