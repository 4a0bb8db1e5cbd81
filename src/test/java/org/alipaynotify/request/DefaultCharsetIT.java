package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * An older app configured with GBK: its notifications carry no charset field and are signed over GBK bytes. With
 * {@code alipay.default-charset=gbk} the built WAR reads and verifies them in GBK, over real HTTP.
 */
class DefaultCharsetIT {
    private static final Charset GBK = Charset.forName("GBK");

    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static AlipaySigner signer;
    private static WarServer server;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.get();
        SandboxKeys keys = SandboxKeys.generate();
        signer = new AlipaySigner(keys.keyPair().getPrivate());
        Map<String, String> s = db.webappSettings(keys.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt")));
        s.put(Settings.DEFAULT_CHARSET, "gbk");
        server = WarServer.start(s);
        assertNull(server.startupFailure());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static String newOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("gbk-");
        db.insertOrder(id, amount);
        return id;
    }

    private static Map<String, String> withoutCharset(String id, String amount) {
        Map<String, String> p = Notifications.tradeSuccess(id, amount);
        p.remove("charset");
        p.put("subject", "龙井茶 一斤+赠品");
        p.put("body", "西湖 明前");
        return p;
    }

    @Test
    void aGbkNotificationWithoutCharsetFieldIsReadVerifiedAndApplied() throws Exception {
        String id = newOrder("66.60");
        byte[] body = AlipaySigner.formBody(signer.signed(withoutCharset(id, "66.60"), "RSA2", GBK), GBK);

        HttpResponse<String> r = server.notify(body);

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("success", r.body());
        assertEquals("TRADE_SUCCESS", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id));
        assertEquals("gbk", db.scalar("SELECT charset FROM alipay_notify WHERE out_trade_no = ?", id),
                "the charset it was read and verified in");
    }

    @Test
    void aCharsetFieldStillWins() throws Exception {
        String id = newOrder("1.00");
        Map<String, String> p = withoutCharset(id, "1.00");
        p.put("charset", "utf-8");
        assertEquals("success", server.notify(AlipaySigner.formBody(signer.signed(p))).body());
    }

    @Test
    void aUtf8NotificationWithoutCharsetFieldIsNotAppliedWhenTheAppIsGbk() throws Exception {
        String id = newOrder("2.00");
        byte[] body = AlipaySigner.formBody(signer.signed(withoutCharset(id, "2.00"), "RSA2",
                StandardCharsets.UTF_8), StandardCharsets.UTF_8);

        HttpResponse<String> r = server.notify(body);

        assertNotEquals(200, r.statusCode());
        assertEquals("failure", r.body());
        assertEquals("WAIT_BUYER_PAY", db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?",
                id));
    }
}
