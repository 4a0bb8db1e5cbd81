package org.alipaynotify.recovery;

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
import org.alipaynotify.boot.Database;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.GatewayCredentials;
import org.alipaynotify.keys.KeySource;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.ledger.Outbox;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.testsupport.FakeAlipayGateway;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recovery tests' shared set-up: the test database through the real ledger, an "Alipay" key and an app key. */
final class RecoveryFixture {
    static final String APP_ID = Notifications.APP_ID;

    private RecoveryFixture() {
    }

    static Path dir;
    static TestDatabase db;
    static HikariDataSource pool;
    static TradeLedger ledger;
    static SandboxKeys alipay;
    static SandboxKeys appKeys;
    static String securityPropertyBefore;

    static synchronized void open() throws java.io.IOException {
        if (pool != null) {
            return;
        }
        dir = java.nio.file.Files.createTempDirectory("alipay-notify-recovery-");
        db = TestDatabase.get();
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, APP_ID);
        sys.put(Settings.PUBLIC_KEY, "unused-here");
        sys.put(Settings.DB_URL, db.url());
        sys.put(Settings.DB_USER, db.user());
        sys.put(Settings.DB_PASSWORD, db.password());
        pool = Database.open(Settings.load(sys, Map.of()));
        ledger = new TradeLedger(pool, OrderMapping.ownTable(), new Outbox(Clock.systemUTC()));
        alipay = SandboxKeys.generate();
        appKeys = SandboxKeys.generate();
        securityPropertyBefore = Security.getProperty("jdk.certpath.disabledAlgorithms");
    }


    static AppSettings appSettings(boolean certMode) throws Exception {
        Path key = appKeys.writePrivateKey(dir.resolve("app-private-key.pem"));
        if (!certMode) {
            return new AppSettings("default", APP_ID, Set.of(), null, alipay.publicKeyBase64(), null,
                    Settings.SignType.RSA2, "alipay.", key, null, null, "utf-8");
        }
        return new AppSettings("default", APP_ID, Set.of(), alipay.writeCertificate(dir.resolve("alipay.crt")), null,
                null, Settings.SignType.RSA2, "alipay.", key, appKeys.writeCertificate(dir.resolve("app.crt")),
                SandboxKeys.generate().writeCertificate(dir.resolve("root.crt")), "utf-8");
    }

    static Gateway gateway(FakeAlipayGateway fake, AppSettings s, int timeoutMs) {
        AlipayKey key = AlipayKey.load(s, Clock.systemUTC());
        App app = new App("default", APP_ID, Set.of(), Settings.SignType.RSA2, KeySource.fixed(key));
        return new Gateway(fake.uri(), app, GatewayCredentials.load(s), timeoutMs, Clock.systemUTC());
    }

    static FakeAlipayGateway fake(AppSettings s) throws Exception {
        if (s.certPath().isEmpty()) {
            return new FakeAlipayGateway(appKeys.publicKeyBase64(), alipay.keyPair().getPrivate(), null, null, null);
        }
        GatewayCredentials creds = GatewayCredentials.load(s);
        return new FakeAlipayGateway(appKeys.publicKeyBase64(), alipay.keyPair().getPrivate(),
                GatewayCredentials.certSn(alipay.certificate()), creds.appCertSn(), creds.rootCertSn());
    }

    static ActiveQuery query(Gateway gateway, String instance) {
        return new ActiveQuery(pool, ledger, Map.of(APP_ID, gateway), OrderMapping.ownTable().waitingSql(), 6_000,
                Clock.systemUTC(), instance);
    }

    /** An order created five minutes ago that nobody has paid, as far as we know. */
    static String waitingOrder(String amount) throws Exception {
        String id = Notifications.uniqueId("aq-");
        db.execute("INSERT INTO alipay_order (out_trade_no, total_amount, created_at) VALUES (?, ?,"
                + " UTC_TIMESTAMP(3) - INTERVAL 5 MINUTE)", id, amount);
        return id;
    }

    static String status(String id) throws Exception {
        return (String) db.scalar("SELECT trade_status FROM alipay_order WHERE out_trade_no = ?", id);
    }

    static List<String> events(String id) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var c = db.connect(); var ps = c.prepareStatement(
                "SELECT type FROM alipay_notify_event WHERE aggregateid = ? ORDER BY seq")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
