package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.ops.Health;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.PrivateMariaDb;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server with the binary log on in STATEMENT format, where InnoDB refuses every write under READ COMMITTED (error
 * 1665) while connections and reads work: start-up refuses with the fix, and health is DOWN instead of UP.
 */
class StatementBinlogIT {
    static PrivateMariaDb server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        long started = System.nanoTime();
        server = PrivateMariaDb.start("--log-bin", "--binlog-format=STATEMENT");
        System.out.println("StatementBinlogIT: private MariaDB with --log-bin --binlog-format=STATEMENT up in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    Map<String, String> settings(String url) throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.CERT_PATH, SandboxKeys.generate().writeCertificate(dir.resolve("alipay.crt")).toString());
        s.put(Settings.DB_URL, url);
        s.put(Settings.DB_USER, "root");
        return s;
    }

    @Test
    void startUpIsRefusedWithOneLineNamingTheFix() throws Exception {
        String url = server.createDatabase("refused");
        try (WarServer war = WarServer.start(settings(url))) {
            String refusal = String.valueOf(war.startupFailure());
            assertTrue(refusal.contains("alipay-notify cannot start: the database server writes its binary log with"
                    + " binlog_format=STATEMENT (log_bin=ON), in which InnoDB refuses every write under READ"
                    + " COMMITTED (error 1665): set binlog_format=ROW on the server (MIXED also works)"), refusal);
        }
    }

    @Test
    void healthIsDownWithTheServersErrorAndUpOnAServerThatTakesWrites() throws Exception {
        String url = server.createDatabase("health");
        try (Connection c = DriverManager.getConnection(url, "root", "")) {
            Migrations.fromClassPath().apply(c); // REPEATABLE READ: statement logging still allowed
        }
        Apps keys = Apps.of(App.load(Settings.load(settings(url), Map.of()).apps().get(0), 0, Clock.systemUTC()));
        try (HikariDataSource pool = Database.open(Settings.load(settings(url), Map.of()));
                Health health = new Health(pool, keys, Clock.systemUTC())) {
            Health.Report r = health.check("https", "10.0.0.1");
            assertFalse(r.up(), r.json());
            assertTrue(r.json().contains("\"status\":\"DOWN\""), r.json());
            assertTrue(r.json().contains("error 1665: Cannot execute statement: impossible to write to binary log"
                    + " since BINLOG_FORMAT = STATEMENT"), r.json());
        }
        // the same check on the shared server (binary log off) is UP and leaves nothing behind
        TestDatabase db = TestDatabase.get();
        Map<String, String> shared = settings(db.url());
        shared.put(Settings.DB_USER, db.user());
        shared.put(Settings.DB_PASSWORD, db.password());
        try (HikariDataSource pool = Database.open(Settings.load(shared, Map.of()));
                Health health = new Health(pool, keys, Clock.systemUTC())) {
            Health.Report r = health.check("https", "10.0.0.1");
            assertTrue(r.up(), r.json());
        }
        assertEquals(0L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_schema_history WHERE version <= 0"))
                .longValue(), "the probe's row is rolled back");
    }
}
