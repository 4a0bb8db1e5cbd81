package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Alipay apps on one endpoint, over real HTTP: "web" in certificate mode, "mini" in public-key mode with the
 * legacy RSA (SHA1) sign type. The claimed app_id chooses the key; the signature proves the claim.
 */
class MultiAppIT {
    static final String WEB = "2021000000000101";
    static final String MINI = "2021000000000102";

    @TempDir
    static Path dir;
    static TestDatabase db;
    static SandboxKeys webKeys;
    static SandboxKeys miniKeys;
    static AlipaySigner web;
    static AlipaySigner mini;
    static WarServer server;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.get();
        webKeys = SandboxKeys.generate();
        miniKeys = SandboxKeys.generate();
        web = new AlipaySigner(webKeys.keyPair().getPrivate());
        mini = new AlipaySigner(miniKeys.keyPair().getPrivate());
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APPS, "web,mini");
        s.put("alipay.app.web.app-id", WEB);
        s.put("alipay.app.web.cert-path", webKeys.writeCertificate(dir.resolve("web.crt")).toString());
        s.put("alipay.app.web.seller-id", SandboxKeys.PID);
        s.put("alipay.app.mini.app-id", MINI);
        s.put("alipay.app.mini.public-key", miniKeys.publicKeyBase64());
        s.put("alipay.app.mini.sign-type", "RSA");
        s.put(Settings.DB_URL, db.url());
        s.put(Settings.DB_USER, db.user());
        s.put(Settings.DB_PASSWORD, db.password());
        server = WarServer.start(s);
        assertNull(server.startupFailure());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static String newOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("apps-");
        db.insertOrder(id, amount);
        return id;
    }

    static HttpResponse<String> send(String appId, AlipaySigner signer, String signType, String order)
            throws Exception {
        Map<String, String> p = Notifications.tradeSuccess(order, "1.00");
        p.put("app_id", appId);
        p.put("auth_app_id", appId);
        Map<String, String> signed = new java.util.LinkedHashMap<>(p);
        signed.put("sign_type", signType);
        signed.put("sign", signer.sign(p, signType.equals("RSA") ? "SHA1withRSA" : "SHA256withRSA"));
        return server.notify(AlipaySigner.formBody(signed));
    }

    static void assertAnswer(HttpResponse<String> r, int status, String body) {
        assertEquals(status + " " + body, r.statusCode() + " " + r.body());
    }

    @Test
    void eachAppsNotificationsApplyWithItsOwnKeyAndSignType() throws Exception {
        String a = newOrder("1.00");
        assertAnswer(send(WEB, web, "RSA2", a), 200, "success");
        assertEquals(WEB, db.scalar("SELECT app_id FROM alipay_notify WHERE out_trade_no = ?", a));
        String b = newOrder("1.00");
        assertAnswer(send(MINI, mini, "RSA", b), 200, "success");
        assertEquals("TRADE_SUCCESS", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", b));
        String metrics = server.get("/alipay/metrics").body();
        assertTrue(metrics.contains("alipay_notify_notifications_total{app=\"web\",category=\"accepted\","
                + "outcome=\"APPLIED\"}"), metrics);
        assertTrue(metrics.contains("alipay_notify_notifications_total{app=\"mini\",category=\"accepted\","
                + "outcome=\"APPLIED\"}"), metrics);
    }

    @Test
    void aNotificationSignedWithOneAppsKeyButClaimingAnotherIsRefused() throws Exception {
        String id = newOrder("1.00");
        assertAnswer(send(MINI, web, "RSA", id), 403, "failure"); // web's key, mini's claim
        assertAnswer(send(WEB, mini, "RSA2", id), 403, "failure"); // mini's key, web's claim
        assertEquals("WAIT_BUYER_PAY", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
        assertTrue(server.get("/alipay/metrics").body().contains("outcome=\"BAD_SIGNATURE\""));
    }

    @Test
    void anAppIdWeDoNotServeIsRefused() throws Exception {
        String id = newOrder("1.00");
        assertAnswer(send("2021000000000199", web, "RSA2", id), 403, "failure");
        assertEquals("WAIT_BUYER_PAY", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
    }

    @Test
    void theSignTypeIsEachAppsOwn() throws Exception {
        String id = newOrder("1.00");
        assertAnswer(send(WEB, web, "RSA", id), 400, "failure"); // web is RSA2
    }

    @Test
    void anOrderOfOneAppPaidThroughAnotherIsRecordedAndFlagged() throws Exception {
        String id = newOrder("1.00");
        db.execute("UPDATE alipay_order SET app_id = ? WHERE out_trade_no = ?", WEB, id);
        assertAnswer(send(MINI, mini, "RSA", id), 403, "failure");
        assertEquals("APP_ID_MISMATCH", db.scalar("SELECT outcome FROM alipay_notify WHERE out_trade_no = ?", id));
        assertEquals(1L, ((Number) db.scalar("SELECT needs_attention + 0 FROM alipay_order WHERE out_trade_no = ?",
                id)).longValue());
        assertEquals("WAIT_BUYER_PAY", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
    }

    @Test
    void healthShowsEachAppsKey() throws Exception {
        String health = server.get("/alipay/health").body();
        assertTrue(health.contains("\"apps\":[{\"name\":\"web\",\"app_id\":\"" + WEB + "\",\"certificate\":{"),
                health);
        assertTrue(health.contains("{\"name\":\"mini\",\"app_id\":\"" + MINI + "\",\"public_key\":{\"id\":\"sha256 "),
                health);
        assertTrue(health.contains("\"days_until_expiry\":"), health);
        assertTrue(server.get("/alipay/metrics").body()
                .contains("alipay_notify_certificate_days_until_expiry{app=\"web\"}"));
    }
}
