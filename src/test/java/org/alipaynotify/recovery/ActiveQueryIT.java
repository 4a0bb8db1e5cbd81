package org.alipaynotify.recovery;

import static org.alipaynotify.recovery.RecoveryFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.alipaynotify.Outcome;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.request.CheckedNotifications;
import org.alipaynotify.testsupport.FakeAlipayGateway.Script;
import org.alipaynotify.testsupport.FakeAlipayGateway;
import org.alipaynotify.testsupport.Notifications;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The active query against a real HTTP stand-in for Alipay's gateway (which checks our requests' signatures and
 * answers signed like Alipay) and the real database, through the real ledger.
 */
class ActiveQueryIT {
    @BeforeAll
    static void open() throws Exception {
        RecoveryFixture.open();
    }

    @Test
    void aPaymentWhoseNotificationNeverCameIsFoundAndAppliedOnceAndTheLateNotificationIsANoChange()
            throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            String paid = waitingOrder("12.30");
            fake.script(paid, Script.PAID, "12.30");
            ActiveQuery q = query(gateway(fake, s, 2_000), "aq-1");
            q.runOnce();
            assertEquals("TRADE_SUCCESS", status(paid));
            assertEquals(1, ((Number) db.scalar("SELECT paid + 0 FROM alipay_order WHERE out_trade_no = ?", paid))
                    .intValue());
            String tradeNo = FakeAlipayGateway.tradeNo(paid);
            assertEquals(tradeNo, db.scalar("SELECT trade_no FROM alipay_order WHERE out_trade_no = ?", paid));
            assertEquals("query", db.scalar("SELECT source FROM alipay_notify WHERE out_trade_no = ?", paid));
            assertEquals("query-" + tradeNo + "-TRADE_SUCCESS",
                    db.scalar("SELECT notify_id FROM alipay_notify WHERE out_trade_no = ?", paid));
            String raw = new String((byte[]) db.scalar("SELECT raw_body FROM alipay_notify WHERE out_trade_no = ?",
                    paid), StandardCharsets.UTF_8);
            assertTrue(raw.startsWith("{\"alipay_trade_query_response\":") && raw.contains("\"sign\":\""),
                    "the signed answer is the raw record: " + raw);
            assertEquals(1, fake.callsAbout(paid));

            q.runOnce();
            assertEquals(1, fake.callsAbout(paid), "paid now: not asked again");

            Map<String, String> late = Notifications.tradeSuccess(paid, "12.30");
            late.put("trade_no", tradeNo);
            assertEquals(Outcome.NO_CHANGE, ledger.apply(new CheckedNotifications(APP_ID).of(late), "x").outcome(),
                    "the real notification arriving later changes nothing");
            assertEquals(List.of("PAID"), events(paid), "one payment, one event");
            assertTrue(fake.calls().stream().allMatch(FakeAlipayGateway.Call::signatureValid),
                    "every request signed with the app's key");
        }
    }

    @Test
    void noTradeAndWaitingChangeNothingAndAreAskedAgainOnTheSchedule() throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            String none = waitingOrder("1.00");
            String waiting = waitingOrder("2.00");
            fake.script(none, Script.NOT_EXIST, "1.00");
            fake.script(waiting, Script.WAITING, "2.00");
            ActiveQuery q = query(gateway(fake, s, 2_000), "aq-2");
            q.runOnce();
            q.runOnce(); // not due again yet: a minute later
            for (String id : List.of(none, waiting)) {
                assertEquals("WAIT_BUYER_PAY", status(id));
                assertEquals(1, fake.callsAbout(id));
                assertEquals(1L, ((Number) db.scalar("SELECT tries FROM alipay_notify_query WHERE out_trade_no = ?",
                        id)).longValue());
                long inSeconds = ((Number) db.scalar("SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(3), next_query_at)"
                        + " FROM alipay_notify_query WHERE out_trade_no = ?", id)).longValue();
                assertTrue(inSeconds >= 50 && inSeconds <= 61, "next question in a minute (5 minutes old): "
                        + inSeconds);
            }
            assertEquals(0L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no IN (?, ?)",
                    none, waiting)).longValue());
        }
    }

    @Test
    void aTradeClosedUnpaidAtAlipayIsApplied() throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            String closed = waitingOrder("3.00");
            fake.script(closed, Script.CLOSED, "3.00");
            query(gateway(fake, s, 2_000), "aq-3").runOnce();
            assertEquals("TRADE_CLOSED", status(closed));
        }
    }

    @Test
    void answersThatCannotBeTrustedOrNeverComeChangeNothingAndAreCounted() throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            fake.slowness(1_500);
            Map<String, Script> cases = Map.of(waitingOrder("4.00"), Script.TAMPERED, waitingOrder("4.00"),
                    Script.ERROR_RESPONSE, waitingOrder("4.00"), Script.SLOW, waitingOrder("4.00"),
                    Script.SERVER_ERROR);
            cases.forEach((id, script) -> fake.script(id, script, "4.00"));
            ActiveQuery q = query(gateway(fake, s, 500), "aq-4");
            q.runOnce();
            for (String id : cases.keySet()) {
                assertEquals("WAIT_BUYER_PAY", status(id), cases.get(id) + " changed the order");
            }
            Map<String, Long> calls = q.calls();
            assertTrue(calls.getOrDefault("unverifiable", 0L) >= 1, calls.toString());
            assertTrue(calls.getOrDefault("error_response", 0L) >= 1, calls.toString());
            assertTrue(calls.getOrDefault("timeout", 0L) >= 1, calls.toString());
            assertTrue(calls.getOrDefault("http_error", 0L) >= 1, calls.toString());
        }
    }

    @Test
    void inCertificateModeRequestsCarryTheSerialsAndAnAnswerFromAnotherCertificateIsRefused() throws Exception {
        AppSettings s = appSettings(true);
        try (FakeAlipayGateway fake = fake(s)) {
            String good = waitingOrder("5.00");
            String other = waitingOrder("5.00");
            fake.script(good, Script.PAID, "5.00");
            fake.script(other, Script.WRONG_CERT_SN, "5.00");
            ActiveQuery q = query(gateway(fake, s, 2_000), "aq-5");
            q.runOnce();
            assertEquals("TRADE_SUCCESS", status(good));
            assertEquals("WAIT_BUYER_PAY", status(other));
            assertTrue(fake.calls().stream().allMatch(FakeAlipayGateway.Call::signatureValid),
                    "the gateway checked app_cert_sn and alipay_root_cert_sn too");
            assertTrue(q.calls().getOrDefault("unverifiable", 0L) >= 1);
        }
    }

    @Test
    void twoInstancesAskAboutAnOrderOneAtATime() throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            List<String> orders = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = waitingOrder("6.00");
                fake.script(id, Script.WAITING, "6.00");
                orders.add(id);
            }
            fake.slowness(50);
            ActiveQuery a = query(gateway(fake, s, 2_000), "aq-a");
            ActiveQuery b = query(gateway(fake, s, 2_000), "aq-b");
            CompletableFuture<Integer> fa = CompletableFuture.supplyAsync(() -> run(a));
            CompletableFuture<Integer> fb = CompletableFuture.supplyAsync(() -> run(b));
            fa.get();
            fb.get();
            for (String id : orders) {
                assertEquals(1, fake.callsAbout(id), id + " asked by both");
            }
        }
    }

    private static int run(ActiveQuery q) {
        try {
            return q.runOnce();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theSdksClientIsNeverUsedSoTheJvmWideCertPathPolicyIsUntouched() throws Exception {
        AppSettings s = appSettings(true);
        try (FakeAlipayGateway fake = fake(s)) {
            String id = waitingOrder("7.00");
            fake.script(id, Script.PAID, "7.00");
            query(gateway(fake, s, 2_000), "aq-7").runOnce();
            assertEquals("TRADE_SUCCESS", status(id));
        }
        assertEquals(securityPropertyBefore, Security.getProperty("jdk.certpath.disabledAlgorithms"),
                "DefaultAlipayClient's static initializer empties it for the whole JVM");
    }

    @Test
    void theScheduleByAgeAsksAtMost37TimesInADay() {
        int asks = 0;
        Duration age = Duration.ofMinutes(1);
        while (age != null && age.compareTo(Duration.ofDays(1)) < 0) {
            asks++;
            Duration next = ActiveQuery.nextWait(age);
            age = next == null ? null : age.plus(next);
        }
        assertEquals(37, asks, "every minute to 10 minutes, every 10 to an hour, hourly to a day");
        assertEquals(Duration.ofMinutes(1), ActiveQuery.nextWait(Duration.ofMinutes(9)));
        assertEquals(Duration.ofMinutes(10), ActiveQuery.nextWait(Duration.ofMinutes(10)));
        assertEquals(Duration.ofHours(1), ActiveQuery.nextWait(Duration.ofMinutes(60)));
        assertNull(ActiveQuery.nextWait(Duration.ofDays(1)));
    }
}
