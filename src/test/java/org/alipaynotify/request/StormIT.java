package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Duplicate storms across two instances of the webapp on one database: every delivery of every notification at
 * once, half to each instance, including the state changes of one order racing each other.
 */
class StormIT {
    static final int ORDERS = 20;
    static final int DELIVERIES = 8; // of each notification, 4 to each instance, all released together

    @TempDir
    Path dir;

    @Test
    void everyNotificationIsAppliedExactlyOnceAndEveryDeliveryAnswered() throws Exception {
        TestDatabase db = TestDatabase.get();
        SandboxKeys keys = SandboxKeys.generate();
        AlipaySigner signer = new AlipaySigner(keys.keyPair().getPrivate());
        Map<String, String> settings = db.webappSettings(keys.writeCertificate(dir.resolve("alipay.crt")));
        settings.put(Settings.DB_POOL_SIZE, "8");

        // per order: a payment and its TRADE_FINISHED, both delivered DELIVERIES times, all at once
        List<byte[]> bodies = new ArrayList<>();
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < ORDERS; i++) {
            String id = Notifications.uniqueId("storm-");
            db.insertOrder(id, "10.00");
            orders.add(id);
            Map<String, String> paid = Notifications.tradeSuccess(id, "10.00");
            bodies.add(AlipaySigner.formBody(signer.signed(paid)));
            bodies.add(AlipaySigner.formBody(signer.signed(Notifications.next(paid, "TRADE_FINISHED"))));
        }
        Map<String, Integer> answers = new TreeMap<>();
        try (WarServer a = WarServer.start(settings); WarServer b = WarServer.start(settings)) {
            ExecutorService pool = Executors.newFixedThreadPool(64);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> calls = new ArrayList<>();
            for (byte[] body : bodies) {
                for (int d = 0; d < DELIVERIES; d++) {
                    WarServer target = d % 2 == 0 ? a : b;
                    calls.add(pool.submit((Callable<HttpResponse<String>>) () -> {
                        go.await();
                        return target.notify(body);
                    }));
                }
            }
            go.countDown();
            for (Future<HttpResponse<String>> call : calls) {
                HttpResponse<String> r = call.get(60, TimeUnit.SECONDS);
                answers.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
            }
            pool.shutdown();
        }
        System.out.println("StormIT: " + calls(bodies) + " deliveries of " + bodies.size()
                + " notifications to 2 instances: " + answers);
        assertEquals(Map.of("200 success", bodies.size() * DELIVERIES), answers);
        for (String id : orders) {
            assertEquals(2L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", id))
                    .longValue(), "one row per notification of " + id);
            assertEquals("TRADE_FINISHED", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?",
                    id), "payment and finish both applied, in whichever order they won");
        }
    }

    private static int calls(List<byte[]> bodies) {
        return bodies.size() * DELIVERIES;
    }
}
