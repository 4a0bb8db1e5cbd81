package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.net.http.HttpResponse;
import org.alipaynotify.request.NotifyServlet;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.dev.Simulate;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator against the built WAR, as a developer uses it. */
class SimulatorIT {
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static WarServer server;
    private static Path key;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.get();
        SandboxKeys keys = SandboxKeys.loadOrCreate(dir.resolve("sandbox"));
        key = dir.resolve("sandbox").resolve(SandboxKeys.PRIVATE_KEY_FILE);
        Map<String, String> s = db.webappSettings(dir.resolve("sandbox").resolve(SandboxKeys.CERT_FILE));
        s.put(Settings.SELLER_ID, SandboxKeys.PID);
        server = WarServer.start(s);
        assertEquals(null, server.startupFailure());
        assertTrue(keys.certificate() != null);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    record Run(int exit, String out) {
    }

    static Run simulate(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", server.uri("/alipay/notify").toString(),
                "--key", key.toString(), "--app-id", Notifications.APP_ID, "--local-dir", dir.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int exit = Simulate.run(all.toArray(String[]::new), ps, ps);
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }

    static String newOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("sim-");
        db.insertOrder(id, amount);
        return id;
    }

    static Object order(String column, String id) throws Exception {
        return db.scalar("SELECT " + column + " FROM alipay_order WHERE out_trade_no = ?", id);
    }

    @Test
    void aPaymentIsAnsweredSuccessAndApplied() throws Exception {
        String id = newOrder("88.80");
        Run r = simulate("--order", id, "--amount", "88.80");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("HTTP 200 'success'"), r.out());
        assertTrue(r.out().contains("out_trade_no=" + id), "prints what it sent");
        assertEquals("TRADE_SUCCESS", order("trade_status", id));
    }

    @Test
    void gbkAndExtraFields() throws Exception {
        String id = newOrder("66.60");
        Run r = simulate("--order", id, "--amount", "66.60", "--charset", "gbk", "--set", "subject=龙井 一斤+赠品",
                "--set", "passback_params=a=b&c");
        assertEquals(0, r.exit(), r.out());
        assertEquals("gbk", db.scalar("SELECT charset FROM alipay_notify WHERE out_trade_no = ?", id));
    }

    @Test
    void refundAndCloseStates() throws Exception {
        String id = newOrder("100.00");
        assertEquals(0, simulate("--order", id, "--amount", "100.00").exit());
        assertEquals(0, simulate("--order", id, "--amount", "100.00", "--refund-fee", "30.00").exit());
        assertEquals(0, new java.math.BigDecimal("30.00").compareTo((java.math.BigDecimal) order("refund_fee", id)));
        assertEquals(0, simulate("--order", id, "--amount", "100.00", "--status", "TRADE_CLOSED",
                "--refund-fee", "100.00").exit());
        assertEquals("TRADE_CLOSED", order("trade_status", id));
    }

    @Test
    void aWrongAmountIsReportedAsFailure() throws Exception {
        String id = newOrder("10.00");
        Run r = simulate("--order", id, "--amount", "9.99");
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("HTTP 409 'failure'"), r.out());
    }

    @Test
    void outWritesTheSignedBodyWithoutPosting() throws Exception {
        String id = newOrder("5.00");
        Path file = dir.resolve("body.txt");
        Run r = simulate("--order", id, "--amount", "5.00", "--out", file.toString());
        assertEquals(0, r.exit(), r.out());
        assertEquals("WAIT_BUYER_PAY", order("trade_status", id), "nothing was posted");
        assertEquals("success", server.notify(Files.readAllBytes(file)).body());
        assertEquals("TRADE_SUCCESS", order("trade_status", id));
    }

    @Test
    void concurrentDuplicatesApplyOnce() throws Exception {
        String id = newOrder("16.00");
        Run r = simulate("--order", id, "--amount", "16.00", "--concurrent", "16");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("{HTTP 200 'success'=16}"), r.out());
        assertEquals(1L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", id))
                .longValue());
    }

    @Test
    void retryRedeliversOnTheCompressedScheduleUntilSuccess() throws Exception {
        String id = Notifications.uniqueId("sim-late-");
        // The order appears only after the first refusal: as when a notification beats the order's commit.
        CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> simulate("--order", id, "--amount", "7.00",
                "--retry", "--time-scale", "1200"));
        long deadline = System.currentTimeMillis() + 20_000;
        while (((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_unmatched WHERE out_trade_no = ?", id))
                .longValue() == 0) {
            assertTrue(System.currentTimeMillis() < deadline, "the signed notification for no order was not kept");
            Thread.sleep(20);
        }
        db.insertOrder(id, "7.00");
        Run r = run.get();
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("try 1/8: HTTP 404 'failure'"), r.out());
        assertTrue(r.out().contains("'success'"), r.out());
        assertEquals("TRADE_SUCCESS", order("trade_status", id));
    }

    @Test
    void aBadOptionIsAUsageError() {
        Run r = simulate("--concurrent", "zero");
        assertEquals(2, r.exit());
        assertTrue(r.out().contains("usage: bin/simulate"), r.out());
    }

    // ---- why a notification was refused: named in the local run, never by a deployed WAR ----

    @Test
    void theLocalRunNamesTheOutcomeAndReasonAndTheSimulatorShowsThem(@TempDir Path localDir) throws Exception {
        Map<String, String> s = Map.of(Settings.DB_URL, db.url(), Settings.DB_USER, db.user(),
                Settings.DB_PASSWORD, db.password());
        try (WarServer local = WarServer.startLocalRun(s, localDir)) {
            assertEquals(null, local.startupFailure());
            String id = newOrder("0.01");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
            int exit = Simulate.run(new String[] {"--url", local.uri("/alipay/notify").toString(), "--local-dir",
                    localDir.toString(), "--order", id, "--amount", "88.80"}, ps, ps);
            String printed = out.toString(StandardCharsets.UTF_8);

            assertEquals(1, exit, printed);
            assertTrue(printed.contains("HTTP 409 'failure'"), printed);
            assertTrue(printed.contains("\n    AMOUNT_MISMATCH: total_amount 88.80 differs from the order's 0.01"),
                    printed);

            Path file = localDir.resolve("body.txt");
            Simulate.run(new String[] {"--local-dir", localDir.toString(), "--order", id, "--amount", "88.80",
                    "--out", file.toString()}, ps, ps);
            HttpResponse<String> r = local.notify(Files.readAllBytes(file));
            assertEquals("failure", r.body(), "the body stays exactly what Alipay reads");
            assertEquals("AMOUNT_MISMATCH", r.headers().firstValue(NotifyServlet.OUTCOME_HEADER).orElse(null));
        }
    }

    @Test
    void aDeployedWarNeverNamesTheOutcomeInItsAnswer() throws Exception {
        String id = newOrder("10.00");
        Path file = dir.resolve("mismatch.txt");
        assertEquals(0, simulate("--order", id, "--amount", "9.99", "--out", file.toString()).exit());

        HttpResponse<String> r = server.notify(Files.readAllBytes(file));

        assertEquals(409, r.statusCode());
        assertEquals("failure", r.body());
        List<String> ours = r.headers().map().keySet().stream()
                .filter(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("alipay-notify")).toList();
        assertEquals(List.of(), ours);

        Run again = simulate("--order", id, "--amount", "9.99");
        assertTrue(again.out().contains("(The reason is in the webapp's log line for notify_id="), again.out());
    }
}
