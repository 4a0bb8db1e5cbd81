package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anyone on the internet can POST to /alipay/notify. A flood of unsigned 64 KiB bodies on 32 connections must cost a
 * small, bounded amount of disk and must not fail a single signed notification flowing at a modest rate beside it
 * (the refusal records have their own connection and their own budget; see {@link RefusalJournal}).
 *
 * <p>Method: the built WAR in Jetty with the default settings (pool of 10, 5 refusal records a second) on the real
 * database. Signed notifications (each a distinct order's TRADE_SUCCESS) are sent at {@link #SIGNED_PER_SECOND} on
 * a fixed schedule for {@link #PHASE_SECONDS} s without the flood, then for as long again while {@link #FLOODERS}
 * keep-alive connections send unsigned bodies of exactly 64 KiB as fast as they are answered. The figures go to
 * standard output (RELIABILITY.md, section 8, holds one run's).
 */
class FloodIT {
    static final int FLOODERS = 32;
    static final int SIGNED_PER_SECOND = 20;
    static final int PHASE_SECONDS = 15;
    static final int WARM_UP_SECONDS = 3;
    static final int FLOOD_BODY = 65_536;

    @TempDir
    static Path dir;

    @Test
    void anUnsignedFloodCostsBoundedDiskAndFailsNoSignedNotification() throws Exception {
        TestDatabase db = TestDatabase.get();
        SandboxKeys keys = SandboxKeys.generate();
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        List<byte[]> signed = signedNotifications(db, signer,
                SIGNED_PER_SECOND * (WARM_UP_SECONDS + 2 * PHASE_SECONDS) + 50);
        try (WarServer server = WarServer.start(db.webappSettings(
                keys.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt"))))) {
            assertNull(server.startupFailure());
            int port = server.uri("/").getPort();
            Iterator next = new Iterator(signed);

            Phase warmUp = phase(server, port, next, WARM_UP_SECONDS, true);
            Phase quiet = phase(server, port, next, PHASE_SECONDS, false);
            Thread.sleep(1_500); // let the refusal writer finish the warm-up's records before measuring
            Table before = table(db);
            Phase flood = phase(server, port, next, PHASE_SECONDS, true);
            Thread.sleep(1_500);
            Table after = table(db);
            String metrics = server.get("/alipay/metrics").body();

            long rows = after.rows - before.rows;
            long bodyBytes = after.bodyBytes - before.bodyBytes;
            long tableBytes = after.tableBytes - before.tableBytes;
            System.out.printf("flood: %d flooding connections, %d unsigned %d-byte bodies in %d s (%.0f/s); signed at"
                            + " %d/s%n", FLOODERS, flood.flooded, FLOOD_BODY, PHASE_SECONDS,
                    flood.flooded / (double) PHASE_SECONDS, SIGNED_PER_SECOND);
            System.out.printf("flood: signed without flood: %s%n", quiet.latencies());
            System.out.printf("flood: signed during flood:  %s%n", flood.latencies());
            System.out.printf("flood: alipay_notify_refused grew by %d rows, %d body bytes, %d table bytes (data +"
                            + " index): %.1f body bytes and %.1f table bytes per flooding request%n", rows, bodyBytes,
                    tableBytes, bodyBytes / (double) flood.flooded, tableBytes / (double) flood.flooded);
            System.out.printf("flood: %s%n", metricLine(metrics, "dropped_rate_limit"));
            System.out.printf("(warm-up: %d signed, %d flooding)%n", warmUp.signedOk, warmUp.flooded);

            assertEquals(List.of(), quiet.failures, "signed notifications without the flood not answered success");
            assertEquals(List.of(), flood.failures, "signed notifications during the flood not answered success");
            assertEquals(List.of(), warmUp.failures, "signed notifications during the warm-up not answered success");
            assertTrue(flood.flooded >= 1_500, "the flood did not flood: " + flood.flooded + " requests");
            assertEquals(0, flood.floodNotRefused, "a flooding request was not answered 403 failure");
            // Before: every flooding request kept its 64 KiB. Now the growth is bounded by time (the budget of
            // records a second, each at most a 2 KiB prefix), not by the flood: under 1 KiB a request even for a
            // flood slowed down by a loaded machine.
            assertTrue(rows <= 2L * Settings.DEFAULT_REFUSAL_RECORDS_PER_SECOND * (PHASE_SECONDS + 4), "more refusal records than the budget allows: " + rows);
            assertTrue(bodyBytes <= rows * 2_048, "a refusal record kept more than its prefix: " + bodyBytes);
            assertTrue(bodyBytes < 1_024L * flood.flooded, "refusal records kept " + bodyBytes
                    + " body bytes for " + flood.flooded + " flooding requests");
            assertTrue(tableBytes < 1_024L * flood.flooded, "alipay_notify_refused grew " + tableBytes
                    + " bytes for " + flood.flooded + " flooding requests");
            assertTrue(metricValue(metrics, "dropped_rate_limit") > 0, "drops are counted");
        }
    }

    /** One order per notification, each notification signed once (as Alipay would). */
    private static List<byte[]> signedNotifications(TestDatabase db, AlipaySigner signer, int n) throws Exception {
        List<byte[]> bodies = new ArrayList<>(n);
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES (?, 88.80)")) {
            for (int i = 0; i < n; i++) {
                String id = Notifications.uniqueId("flood-ok-");
                ps.setString(1, id);
                ps.addBatch();
                bodies.add(AlipaySigner.formBody(signer.signed(Notifications.tradeSuccess(id, "88.80"))));
            }
            ps.executeBatch();
        }
        return bodies;
    }

    private static final class Iterator {
        private final List<byte[]> bodies;
        private final AtomicLong at = new AtomicLong();

        Iterator(List<byte[]> bodies) {
            this.bodies = bodies;
        }

        byte[] next() {
            return bodies.get((int) at.getAndIncrement());
        }
    }

    private static final class Phase {
        final List<Long> signedNanos = Collections.synchronizedList(new ArrayList<>());
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        long signedOk;
        long flooded;
        long floodNotRefused;

        String latencies() {
            long[] l = signedNanos.stream().mapToLong(Long::longValue).sorted().toArray();
            if (l.length == 0) {
                return "no signed notification";
            }
            return String.format("%d signed, all success: %s; p50 %.1f ms, p99 %.1f ms, max %.1f ms", l.length,
                    failures.isEmpty(), l[l.length / 2] / 1e6, l[Math.min(l.length - 1, (int) (l.length * 0.99))] / 1e6,
                    l[l.length - 1] / 1e6);
        }
    }

    /** Signed notifications on a fixed schedule for {@code seconds}, with or without the flood beside them. */
    private static Phase phase(WarServer server, int port, Iterator next, int seconds, boolean withFlood)
            throws Exception {
        Phase phase = new Phase();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flooded = new AtomicLong();
        AtomicLong notRefused = new AtomicLong();
        ExecutorService flooders = Executors.newFixedThreadPool(FLOODERS);
        List<Future<?>> running = new ArrayList<>();
        if (withFlood) {
            for (int i = 0; i < FLOODERS; i++) {
                int id = i;
                running.add(flooders.submit(() -> flood(port, id, stop, flooded, notRefused)));
            }
        }
        ExecutorService senders = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        long start = System.nanoTime();
        long interval = 1_000_000_000L / SIGNED_PER_SECOND;
        for (int i = 0; i < seconds * SIGNED_PER_SECOND; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            byte[] body = next.next();
            sent.add(senders.submit(() -> {
                long t0 = System.nanoTime();
                try {
                    HttpResponse<String> r = server.notify(body);
                    phase.signedNanos.add(System.nanoTime() - t0);
                    if (r.statusCode() != 200 || !r.body().equals("success")) {
                        phase.failures.add(r.statusCode() + " " + r.body());
                    }
                } catch (Exception e) {
                    phase.failures.add(e.toString());
                }
            }));
        }
        for (Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : running) {
            f.get(60, TimeUnit.SECONDS);
        }
        senders.shutdown();
        flooders.shutdown();
        phase.signedOk = phase.signedNanos.size() - phase.failures.size();
        phase.flooded = flooded.get();
        phase.floodNotRefused = notRefused.get();
        return phase;
    }

    /** One keep-alive connection sending unsigned 64 KiB bodies, each with its own claimed ids, until told to stop. */
    private static Void flood(int port, int id, AtomicBoolean stop, AtomicLong flooded, AtomicLong notRefused)
            throws IOException {
        String prefix = "notify_type=trade_status_sync&app_id=2021000000000001&sign_type=RSA2&sign=bm90IGEgc2lnbg%3D%3D"
                + "&out_trade_no=flood-" + id + "&notify_id=";
        byte[] body = new byte[FLOOD_BODY];
        Arrays.fill(body, (byte) 'x');
        byte[] head = prefix.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, body, 0, head.length);
        byte[] subject = "0000000000&subject=".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(subject, 0, body, head.length, subject.length);
        byte[] request = ("POST /alipay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:"
                + " application/x-www-form-urlencoded\r\nContent-Length: " + FLOOD_BODY + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long n = 0;
        while (!stop.get()) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream());
                while (!stop.get()) {
                    byte[] counter = String.format("%010d", n++).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(counter, 0, body, head.length, counter.length);
                    out.write(request);
                    out.write(body);
                    out.flush();
                    String status = readResponse(in);
                    flooded.incrementAndGet();
                    if (!status.startsWith("HTTP/1.1 403") || !status.endsWith("failure")) {
                        notRefused.incrementAndGet();
                    }
                    if (status.contains("connection: close")) {
                        break;
                    }
                }
            } catch (IOException e) {
                if (!stop.get()) {
                    throw e;
                }
            }
        }
        return null;
    }

    /** The status line, a marker if the server closes, and the body, for the caller's checks. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder headers = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            headers.append((char) c);
            if (headers.length() >= 4 && headers.substring(headers.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        if (c < 0) {
            throw new IOException("connection closed");
        }
        String h = headers.toString();
        Matcher m = Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(h);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        byte[] b = in.readNBytes(length);
        String status = h.substring(0, h.indexOf('\r'));
        boolean close = h.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
        return status + (close ? " connection: close " : " ") + new String(b, StandardCharsets.US_ASCII);
    }

    private record Table(long rows, long bodyBytes, long tableBytes) {
    }

    private static Table table(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("ANALYZE TABLE alipay_notify_refused");
            long rows;
            long bodyBytes;
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0)"
                    + " FROM alipay_notify_refused")) {
                rs.next();
                rows = rs.getLong(1);
                bodyBytes = rs.getLong(2);
            }
            try (ResultSet rs = st.executeQuery("SELECT data_length + index_length FROM information_schema.tables"
                    + " WHERE table_schema = DATABASE() AND table_name = 'alipay_notify_refused'")) {
                rs.next();
                return new Table(rows, bodyBytes, rs.getLong(1));
            }
        }
    }

    private static String metricLine(String metrics, String result) {
        return metrics.lines().filter(l -> l.startsWith("alipay_notify_refusal_records_total")
                && l.contains("\"" + result + "\"")).findFirst().orElse("(no " + result + " metric)");
    }

    private static double metricValue(String metrics, String result) {
        String line = metricLine(metrics, result);
        return line.startsWith("(") ? 0 : Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
