package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Versioned migrations against the real server, each case on a database of its own: a fresh database, one made by
 * the schema.sql of before migrations (with data), the files applied by hand with the mariadb client, two instances
 * racing, and a version left 'started' or 'failed'.
 */
class MigrationsIT {
    static final TestDatabase DB = TestDatabase.get();

    @TempDir
    Path dir;

    static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, DB.user(), DB.password());
    }

    static List<String> rows(String url, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    static List<String> history(String url) throws SQLException {
        return rows(url, "SELECT version, description, script, status FROM alipay_notify_schema_history"
                + " ORDER BY version");
    }

    /** Table name to SHOW CREATE TABLE, for every table of the database. */
    static Map<String, String> tables(String url) throws SQLException {
        Map<String, String> tables = new TreeMap<>();
        for (String t : rows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")) {
            tables.put(t, rows(url, "SHOW CREATE TABLE " + t).get(0).replaceAll(" AUTO_INCREMENT=\\d+", ""));
        }
        return tables;
    }

    static String columnType(String url, String table, String column) throws SQLException {
        return rows(url, "SELECT CONCAT(column_type, ' ', IFNULL(column_default, 'NULL'), ' ', extra)"
                + " FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '" + table
                + "' AND column_name = '" + column + "'").get(0).strip();
    }

    static String resource(String name) throws IOException {
        try (InputStream in = MigrationsIT.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    Map<String, String> webappSettings(String url) {
        Map<String, String> s = DB.webappSettings(certificate());
        s.put(Settings.DB_URL, url);
        return s;
    }

    Path certificate() {
        try {
            return SandboxKeys.generate().writeCertificate(dir.resolve("alipay.crt"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static final List<Migrations.Migration> ALL = Migrations.fromClassPath().all();
    static final List<Integer> VERSIONS = ALL.stream().map(Migrations.Migration::version).toList();
    /** The history a database with every version applied holds ("1|baseline|V1__baseline.sql|success", ...). */
    static final List<String> ALL_APPLIED = ALL.stream()
            .map(m -> m.version() + "|" + m.description() + "|" + m.file() + "|success").toList();

    /** "V2, V3: apply db/migration/V2__utc_datetime.sql, db/migration/V3__... in this order", from version {@code from}. */
    static String lacking(int from) {
        List<Migrations.Migration> rest = ALL.subList(from - 1, ALL.size());
        return (rest.size() > 1 ? "migrations " : "migration ")
                + String.join(", ", rest.stream().map(m -> "V" + m.version()).toList()) + ": apply "
                + String.join(", ", rest.stream().map(m -> Migrations.DIRECTORY + "/" + m.file()).toList());
    }

    @Test
    void aFreshDatabaseGetsEveryVersionOnceAndASecondRunDoesNothing() throws Exception {
        String url = DB.createDatabase("fresh");
        try (Connection c = connect(url)) {
            assertEquals(VERSIONS, Migrations.fromClassPath().apply(c));
            assertEquals(List.of(), Migrations.fromClassPath().apply(c));
        }
        assertEquals(ALL_APPLIED, history(url));
        assertEquals("datetime(3) utc_timestamp(3)", columnType(url, "alipay_order", "updated_at"),
                "no ON UPDATE: it would write the session's local time");
        assertEquals("datetime(3) utc_timestamp(3)", columnType(url, "alipay_notify", "received_at"));
        assertEquals("datetime(3) utc_timestamp(3)", columnType(url, "alipay_notify_refused", "received_at"));
        assertTrue(rows(url, "SELECT applied_by FROM alipay_notify_schema_history").stream()
                .allMatch(by -> by.startsWith("alipay-notify ") && by.contains(" as ")), "who applied it");
    }

    @Test
    void aDatabaseMadeByTheOldSchemaSqlIsRecordedAsV1AndUpgradedAtStartWithItsDataKept() throws Exception {
        String url = DB.createDatabase("old");
        try (Connection c = connect(url); Statement st = c.createStatement()) {
            for (String sql : Migrations.statements(resource("/db/schema-before-migrations.sql"))) {
                st.execute(sql);
            }
            st.execute("SET time_zone = '+00:00'");
            st.execute("INSERT INTO alipay_order (out_trade_no, total_amount, trade_status, paid, created_at,"
                    + " updated_at) VALUES ('old-1', 12.34, 'TRADE_SUCCESS', 1, '2025-03-04 05:06:07.891',"
                    + " '2025-03-04 05:16:07.123')");
            st.execute("INSERT INTO alipay_notify (notify_id, out_trade_no, trade_status, outcome, charset,"
                    + " raw_body, received_at) VALUES ('n-old-1', 'old-1', 'TRADE_SUCCESS', 'APPLIED', 'utf-8',"
                    + " x'616263', '2025-03-04 05:16:07.120')");
            st.execute("INSERT INTO alipay_notify_refused (http_status, outcome, received_at) VALUES (403,"
                    + " 'BAD_SIGNATURE', '2025-03-04 06:00:00.001')");
        }
        try (WarServer server = WarServer.start(webappSettings(url))) {
            assertNull(server.startupFailure());
        }
        List<String> expected = new java.util.ArrayList<>(ALL_APPLIED);
        expected.set(0, "1|baseline|V1__baseline.sql|baseline");
        assertEquals(expected, history(url));
        assertEquals(List.of("old-1|12.34|TRADE_SUCCESS|1|2025-03-04 05:06:07.891|2025-03-04 05:16:07.123"),
                rows(url, "SELECT out_trade_no, total_amount, trade_status, paid, created_at, updated_at"
                        + " FROM alipay_order"));
        assertEquals(List.of("n-old-1|abc|2025-03-04 05:16:07.120"),
                rows(url, "SELECT notify_id, CAST(raw_body AS CHAR), received_at FROM alipay_notify"));
        assertEquals(List.of("403|2025-03-04 06:00:00.001"),
                rows(url, "SELECT http_status, received_at FROM alipay_notify_refused"));
        assertEquals("datetime(3) utc_timestamp(3)", columnType(url, "alipay_order", "created_at"));
    }

    /** The mariadb (or mysql) command-line client, as a DBA would run it. */
    static String client() {
        for (String name : new String[] {"mariadb", "mysql"}) {
            for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(d, name))) {
                    return Path.of(d, name).toString();
                }
            }
        }
        Assumptions.abort("no mariadb or mysql client on the PATH: the by-hand application is not tested");
        return null;
    }

    void applyByHand(String url, String file) throws Exception {
        Path sql = dir.resolve(file);
        Files.writeString(sql, resource("/" + Migrations.DIRECTORY + "/" + file));
        String[] hostPort = DB.hostAndPort();
        ProcessBuilder pb = new ProcessBuilder(client(), "--protocol=tcp", "-h", hostPort[0], "-P", hostPort[1],
                "-u", DB.user(), url.substring(url.lastIndexOf('/') + 1))
                .redirectInput(sql.toFile()).redirectErrorStream(true);
        pb.environment().put("MYSQL_PWD", DB.password());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), file + ": " + out);
    }

    @Test
    void filesAppliedByHandWithTheClientLeaveWhatTheWebappLeavesAndItStartsWithoutApplyingAnything()
            throws Exception {
        String byHand = DB.createDatabase("hand");
        String byWebapp = DB.createDatabase("webapp");
        Map<String, String> settings = webappSettings(byHand);
        settings.put(Settings.DB_INIT_SCHEMA, "false");

        try (WarServer server = WarServer.start(settings)) {
            String refusal = String.valueOf(server.startupFailure());
            assertTrue(refusal.contains("alipay-notify cannot start: db.init-schema (ALIPAY_NOTIFY_DB_INIT_SCHEMA)"
                    + " is false and the database lacks schema " + lacking(1) + " in this order"), refusal);
        }
        applyByHand(byHand, "V1__baseline.sql");
        try (WarServer server = WarServer.start(settings)) {
            String refusal = String.valueOf(server.startupFailure());
            assertTrue(refusal.contains("lacks schema " + lacking(2) + " in this order"), refusal);
        }
        for (Migrations.Migration m : ALL.subList(1, ALL.size())) {
            applyByHand(byHand, m.file());
        }
        try (WarServer server = WarServer.start(settings)) {
            assertNull(server.startupFailure());
            assertEquals(200, server.get("/alipay/health").statusCode());
        }
        try (WarServer server = WarServer.start(webappSettings(byWebapp))) {
            assertNull(server.startupFailure());
        }
        assertEquals(ALL_APPLIED, history(byHand));
        assertEquals(history(byWebapp), history(byHand));
        assertEquals(tables(byWebapp), tables(byHand), "the same tables, column for column");
        String by = rows(byHand, "SELECT applied_by FROM alipay_notify_schema_history WHERE version = 2").get(0);
        assertTrue(by.contains("@"), "CURRENT_USER() of the DBA's session: " + by);
    }

    @Test
    void twoInstancesRacingApplyEachVersionOnceAndBothFinish() throws Exception {
        // A slow third version, so that the loser of its claim really waits for the winner. Both instances are held
        // after finding a version unrecorded until the other has found it too, so their claims collide every time.
        Map<String, String> files = new TreeMap<>(MigrationsTest.realFiles());
        files.put("V3__slow.sql", "DO SLEEP(1);\n" + MigrationsTest.upsert(3, "slow", "V3__slow.sql"));
        for (int round = 0; round < 2; round++) {
            String url = DB.createDatabase("race" + round);
            CyclicBarrier start = new CyclicBarrier(2);
            CyclicBarrier collide = new CyclicBarrier(2);
            Runnable bothFoundItUnrecorded = () -> {
                try {
                    collide.await(2, TimeUnit.SECONDS);
                } catch (Exception e) {
                    collide.reset(); // the other had found it recorded already: go on alone
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<List<Integer>>> results = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    Migrations m = Migrations.of(files, Duration.ofSeconds(30), "racer " + i)
                            .pausingBeforeEachClaim(bothFoundItUnrecorded);
                    results.add(pool.submit(() -> {
                        try (Connection c = connect(url)) {
                            start.await();
                            return m.apply(c);
                        }
                    }));
                }
                List<Integer> applied = new ArrayList<>();
                for (Future<List<Integer>> r : results) {
                    applied.addAll(r.get(60, TimeUnit.SECONDS));
                }
                Collections.sort(applied);
                assertEquals(List.of(1, 2, 3), applied, "each version applied by exactly one of the two");
                assertEquals(3, rows(url, "SELECT version FROM alipay_notify_schema_history WHERE status = 'success'")
                        .size());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aVersionLeftStartedByACrashRefusesStartUpWithWhatToDo() throws Exception {
        String url = DB.createDatabase("crashed");
        try (Connection c = connect(url)) {
            Migrations.fromClassPath().apply(c);
        }
        // as a crash in the middle of V2 leaves it: claimed, never recorded as done
        try (Connection c = connect(url); Statement st = c.createStatement()) {
            st.execute("UPDATE alipay_notify_schema_history SET status = 'started', finished_at = NULL,"
                    + " applied_by = 'alipay-notify on host-a as app@%' WHERE version = 2");
        }
        CannotStart refused;
        try (Connection c = connect(url)) {
            long started = System.nanoTime();
            refused = assertThrows(CannotStart.class,
                    () -> Migrations.fromClassPath().with(Duration.ofSeconds(1), "test").apply(c));
            assertTrue(System.nanoTime() - started >= 1_000_000_000L, "waited for the other instance first");
        }
        String message = refused.getMessage();
        for (String expected : new String[] {"schema migration V2 (db/migration/V2__utc_datetime.sql), claimed at ",
                " UTC by alipay-notify on host-a as app@%, is still 'started' after waiting 1 s.",
                "If no instance is applying it now, it was interrupted", "MySQL DDL is not transactional",
                "SHOW CREATE TABLE", "DELETE FROM alipay_notify_schema_history WHERE version = 2"}) {
            assertTrue(message.contains(expected), expected + " in: " + message);
        }
        // the same through the webapp, which only checks when db.init-schema=false: one line, at once
        Map<String, String> settings = webappSettings(url);
        settings.put(Settings.DB_INIT_SCHEMA, "false");
        try (WarServer server = WarServer.start(settings)) {
            String refusal = String.valueOf(server.startupFailure());
            assertTrue(refusal.contains("alipay-notify cannot start: schema migration V2"
                    + " (db/migration/V2__utc_datetime.sql), claimed at "), refusal);
            assertTrue(refusal.contains("by alipay-notify on host-a as app@%, is recorded as 'started'."), refusal);
        }
    }

    @Test
    void aFailingStatementMarksTheVersionFailedAndLaterStartsAreRefusedAtOnce() throws Exception {
        String url = DB.createDatabase("failed");
        Map<String, String> files = new TreeMap<>(MigrationsTest.realFiles());
        files.put("V3__broken.sql", "ALTER TABLE alipay_order ADD COLUMN note VARCHAR(10);\n"
                + "ALTER TABLE no_such_table ADD COLUMN x INT;\n" + MigrationsTest.upsert(3, "broken", "V3__broken.sql"));
        Migrations migrations = Migrations.of(files, Duration.ofSeconds(30), "test");
        try (Connection c = connect(url)) {
            CannotStart e = assertThrows(CannotStart.class, () -> migrations.apply(c));
            assertTrue(e.getMessage().startsWith("schema migration V3 (db/migration/V3__broken.sql) failed at"
                    + " statement 2 of 3: "), e.getMessage());
            assertTrue(e.getMessage().contains("no_such_table"), e.getMessage());
        }
        assertEquals("3|broken|V3__broken.sql|failed", history(url).get(2));
        try (Connection c = connect(url)) {
            long started = System.nanoTime();
            CannotStart e = assertThrows(CannotStart.class, () -> migrations.apply(c));
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "no waiting for a failed version");
            assertTrue(e.getMessage().contains("V3 (db/migration/V3__broken.sql), claimed at ")
                    && e.getMessage().contains(", is recorded as 'failed'."),
                    e.getMessage());
        }
    }

}
