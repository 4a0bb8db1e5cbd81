package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.alipaynotify.Outcome;
import org.alipaynotify.ledger.TradeLedger;
import org.alipaynotify.ops.Purge;
import org.alipaynotify.request.CheckedNotifications;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Our own clock's columns hold UTC whatever the session's time zone, on the real server: the sessions here run at
 * +08:00 (China), where a TIMESTAMP reads 8 hours ahead and ON UPDATE CURRENT_TIMESTAMP writes local time.
 */
class UtcTimesIT {
    static final TestDatabase DB = TestDatabase.get();
    static final DateTimeFormatter TEXT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    /** A pool like ours, but every session at +08:00, as on a server whose zone is China's. */
    static HikariDataSource chinaPool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(DB.user());
        config.setPassword(DB.password());
        config.setDriverClassName("com.mysql.cj.jdbc.Driver");
        config.setMaximumPoolSize(2);
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setConnectionInitSql("SET time_zone = '+08:00'");
        Database.DRIVER_PROPERTIES.forEach(config::addDataSourceProperty);
        return new HikariDataSource(config);
    }

    static String migratedDatabase(String suffix) throws Exception {
        String url = DB.createDatabase(suffix);
        try (Connection c = MigrationsIT.connect(url)) {
            Migrations.fromClassPath().apply(c);
        }
        return url;
    }

    static String text(HikariDataSource pool, String sql, String arg) throws Exception {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), sql);
                return rs.getString(1);
            }
        }
    }

    static void assertUtcNow(String stored, Instant before, Instant after, String what) {
        Instant t = LocalDateTime.parse(stored, TEXT).toInstant(ZoneOffset.UTC);
        assertTrue(!t.isBefore(before.minusMillis(1)) && !t.isAfter(after.plusMillis(1)),
                what + " = " + stored + ", expected UTC between " + before + " and " + after);
    }

    @Test
    void rowsGetUtcTimesThroughASessionAtPlusEight() throws Exception {
        String url = migratedDatabase("utc_rows");
        String id = Notifications.uniqueId("utc-");
        Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        try (HikariDataSource pool = chinaPool(url)) {
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                assertEquals("+08:00", sessionZone(c));
                st.executeUpdate("INSERT INTO alipay_order (out_trade_no, total_amount) VALUES ('" + id + "', 5.00)");
                st.executeUpdate("INSERT INTO alipay_notify_refused (remote_addr, http_status, outcome, reason)"
                        + " VALUES ('x', 400, 'MALFORMED_BODY', '" + id + "')");
                c.commit();
            }
            Thread.sleep(20); // the update's time must differ from the insert's
            assertEquals(Outcome.APPLIED, new TradeLedger(pool).apply(
                    new CheckedNotifications(Notifications.APP_ID).of(Notifications.tradeSuccess(id, "5.00")),
                    "127.0.0.1").outcome());
            Instant after = Instant.now();
            String created = text(pool, "SELECT CAST(created_at AS CHAR) FROM alipay_order WHERE out_trade_no = ?", id);
            String updated = text(pool, "SELECT CAST(updated_at AS CHAR) FROM alipay_order WHERE out_trade_no = ?", id);
            assertUtcNow(created, before, after, "alipay_order.created_at");
            assertUtcNow(updated, before, after, "alipay_order.updated_at, set by the ledger's UPDATE");
            assertTrue(updated.compareTo(created) > 0, "updated_at moved on: " + created + " -> " + updated);
            assertUtcNow(text(pool, "SELECT CAST(received_at AS CHAR) FROM alipay_notify WHERE out_trade_no = ?", id),
                    before, after, "alipay_notify.received_at");
            assertUtcNow(text(pool, "SELECT CAST(received_at AS CHAR) FROM alipay_notify_refused WHERE reason = ?",
                    id), before, after, "alipay_notify_refused.received_at");
        }
    }

    static String sessionZone(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@session.time_zone")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void purgeDeletesExactlyWhatWasReceivedBeforeTheUtcCutOff() throws Exception {
        String url = migratedDatabase("utc_purge");
        Instant now = Instant.parse("2026-06-01T12:00:00.500Z");
        // cut-off 2026-05-22 12:00:00.500 UTC, which is 20:00:00.500 at +08:00
        String[] received = {"2026-05-22 11:00:00.000", "2026-05-22 12:00:00.499", "2026-05-22 12:00:00.500",
            "2026-05-22 12:00:00.501", "2026-05-22 19:00:00.000"};
        try (HikariDataSource pool = chinaPool(url)) {
            try (Connection c = pool.getConnection(); PreparedStatement n = c.prepareStatement("INSERT INTO"
                    + " alipay_notify (notify_id, out_trade_no, trade_status, outcome, charset, raw_body, received_at)"
                    + " VALUES (?, 'p', 'TRADE_SUCCESS', 'APPLIED', 'utf-8', x'00', ?)");
                    PreparedStatement r = c.prepareStatement("INSERT INTO alipay_notify_refused (http_status,"
                            + " outcome, reason, received_at) VALUES (400, 'MALFORMED_BODY', 'p', ?)")) {
                for (int i = 0; i < received.length; i++) {
                    n.setString(1, "n" + i);
                    n.setString(2, received[i]);
                    n.executeUpdate();
                    r.setString(1, received[i]);
                    r.executeUpdate();
                }
                c.commit();
            }
            long[] deleted = new Purge(pool, Duration.ofDays(10), Duration.ofDays(10), Clock.fixed(now, ZoneOffset.UTC))
                    .run();
            assertArrayEquals(new long[] {2, 0, 2, 0}, deleted);
            try (Connection c = pool.getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT CAST(received_at AS CHAR) FROM alipay_notify"
                            + " ORDER BY received_at")) {
                List<String> kept = new java.util.ArrayList<>();
                while (rs.next()) {
                    kept.add(rs.getString(1));
                }
                assertEquals(List.of(received[2], received[3], received[4]), kept);
            }
        }
    }

    @Test
    void theMigrationKeepsTheInstantsOfExistingTimestampsWhateverTheSessionZone() throws Exception {
        String url = DB.createDatabase("utc_migration");
        Map<String, String> v1Only = new TreeMap<>(Map.of("V1__baseline.sql",
                MigrationsTest.realFiles().get("V1__baseline.sql")));
        try (Connection c = MigrationsIT.connect(url); Statement st = c.createStatement()) {
            Migrations.of(v1Only, Duration.ZERO, "test").apply(c);
            st.execute("SET time_zone = '+08:00'");
            // 08:00:00.123 at +08:00 is 00:00:00.123 UTC; the last is the latest instant a TIMESTAMP can hold
            st.execute("INSERT INTO alipay_order (out_trade_no, total_amount, created_at, updated_at) VALUES"
                    + " ('t1', 1.00, '2026-01-01 08:00:00.123', '2038-01-19 11:14:07.999')");
            st.execute("INSERT INTO alipay_notify (notify_id, out_trade_no, trade_status, outcome, charset, raw_body,"
                    + " received_at) VALUES ('t1', 't1', 'TRADE_SUCCESS', 'APPLIED', 'utf-8', x'00',"
                    + " '2026-07-01 00:30:00.001')");
            st.execute("INSERT INTO alipay_notify_refused (http_status, outcome, received_at) VALUES (400,"
                    + " 'MALFORMED_BODY', '2026-07-01 07:59:59.999')");
        }
        try (Connection c = MigrationsIT.connect(url); Statement st = c.createStatement()) {
            st.execute("SET time_zone = '+08:00'");
            List<Integer> rest = Migrations.fromClassPath().all().stream().map(Migrations.Migration::version)
                    .filter(v -> v > 1).toList();
            assertEquals(rest, Migrations.fromClassPath().apply(c));
            assertEquals("+08:00", sessionZone(c), "the session's zone is given back");
        }
        assertEquals(List.of("2026-01-01 00:00:00.123|2038-01-19 03:14:07.999"),
                MigrationsIT.rows(url, "SELECT created_at, updated_at FROM alipay_order"));
        assertEquals(List.of("2026-06-30 16:30:00.001"), MigrationsIT.rows(url, "SELECT received_at FROM alipay_notify"));
        assertEquals(List.of("2026-06-30 23:59:59.999"),
                MigrationsIT.rows(url, "SELECT received_at FROM alipay_notify_refused"));
    }
}
