package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.alipaynotify.boot.Database;
import org.alipaynotify.config.Settings;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

/** Retention against the real database: old records go in batches, recent ones and orders stay. */
class PurgeIT {
    @Test
    void oldRecordsAreDeletedInBatchesAndRecentOnesKept() throws Exception {
        TestDatabase db = TestDatabase.get();
        String prefix = Notifications.uniqueId("purge-");
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alipay_notify (notify_id, out_trade_no,"
                    + " trade_status, outcome, charset, raw_body, received_at) VALUES (?, ?, 'TRADE_SUCCESS',"
                    + " 'APPLIED', 'utf-8', x'00', UTC_TIMESTAMP(3) - INTERVAL ? DAY)")) {
                for (int i = 0; i < 2_600; i++) {
                    boolean old = i < 2_500;
                    ps.setString(1, prefix + "-" + i);
                    ps.setString(2, prefix);
                    ps.setInt(3, old ? 400 : 10);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alipay_notify_refused (remote_addr,"
                    + " http_status, outcome, reason, received_at) VALUES ('x', 400, 'MALFORMED_BODY', ?,"
                    + " UTC_TIMESTAMP(3) - INTERVAL ? DAY)")) {
                for (int i = 0; i < 30; i++) {
                    ps.setString(1, prefix);
                    ps.setInt(2, i < 20 ? 400 : 1);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        }
        Map<String, String> s = new HashMap<>();
        s.put(Settings.APP_ID, Notifications.APP_ID);
        s.put(Settings.PUBLIC_KEY, "unused");
        s.put(Settings.DB_URL, db.url());
        s.put(Settings.DB_USER, db.user());
        s.put(Settings.DB_PASSWORD, db.password());
        try (HikariDataSource pool = Database.open(Settings.load(s, Map.of()))) {
            // Notifications kept for ever: only the refusals' own retention applies (the default install's shape).
            long[] deleted = new Purge(pool, Duration.ZERO, Duration.ofDays(14), Clock.systemUTC()).run();
            assertArrayEquals(new long[] {0, 0, 20, 0}, deleted);
            assertEquals(2_600L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?",
                    prefix)).longValue());
            // other tests' rows in this database are all recent, so exactly ours go
            deleted = new Purge(pool, Duration.ofDays(365), Duration.ofDays(14), Clock.systemUTC()).run();
            assertArrayEquals(new long[] {2_500, 0, 0, 0}, deleted);
        }
        assertEquals(100L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify WHERE out_trade_no = ?", prefix))
                .longValue());
        assertEquals(10L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_refused WHERE reason = ?",
                prefix)).longValue());
    }
}
