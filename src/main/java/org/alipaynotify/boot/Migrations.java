package org.alipaynotify.boot;

import jakarta.servlet.ServletContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;
import org.alipaynotify.ops.Health;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The versioned schema: {@code db/migration/V<n>__<description>.sql}, applied in order, each once. Every file is plain
 * SQL a DBA can run with the mariadb/mysql client and ends by recording itself in {@link #HISTORY}, so a hand
 * application and ours leave the same row. A new version is one more file: nothing here lists them.
 *
 * <p>Several instances may start at once, also on a Galera cluster, where GET_LOCK is refused and DDL commits on its
 * own (so no lock held in a transaction can span a migration). The history row is the lock: an instance claims a
 * version by inserting its row with status {@code started}; the primary key lets one insert win (on Galera the loser
 * fails certification instead), the others poll until the row says {@code success}, for at most {@link #wait}. A
 * row still {@code started} after that was left by a crash or is taking longer than we wait: either way a person must
 * look, because MySQL DDL is not transactional and a half-applied file cannot be rolled back, so start-up is refused
 * with what to check and do.
 */
public final class Migrations {
    private static final Logger LOG = LogManager.getLogger(Migrations.class);
    public static final String DIRECTORY = "db/migration";
    public static final String HISTORY = "alipay_notify_schema_history";
    /** Long enough for an ALTER of a large table on another instance; a crashed claim is refused after it. */
    static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);
    private static final Pattern FILE_NAME = Pattern.compile("V([1-9][0-9]{0,8})__([A-Za-z0-9_]+)\\.sql");
    /** The tables db/schema.sql created before migrations existed: all present and no history means "at V1". */
    static final List<String> BASELINE_TABLES = List.of("alipay_order", "alipay_notify", "alipay_notify_refused");
    private static final int ER_DUP_ENTRY = 1062;
    private static final int ER_LOCK_DEADLOCK = 1213;
    private static final long POLL_MS = 250;

    /** One file. */
    record Migration(int version, String description, String file, List<String> statements) {
        String where() {
            return DIRECTORY + "/" + file;
        }
    }

    /** A row of the history table. */
    record Applied(int version, String script, String status, String startedAt, String finishedAt, String by) {
    }

    private final List<Migration> migrations;
    private final Duration wait;
    private final String appliedBy;
    /** Runs between finding a version unrecorded and claiming it: lets a test make two instances collide there. */
    private final Runnable beforeClaim;

    private Migrations(List<Migration> migrations, Duration wait, String appliedBy, Runnable beforeClaim) {
        this.migrations = migrations;
        this.wait = wait;
        this.appliedBy = appliedBy;
        this.beforeClaim = beforeClaim;
    }

    /** The files on this class's class path (an exploded directory or a jar). */
    public static Migrations fromClassPath() {
        return of(readClassPath(Migrations.class.getClassLoader()), DEFAULT_WAIT, defaultAppliedBy());
    }

    /**
     * The files of a deployed webapp, listed through the container, which can list a WAR that was not unpacked
     * (the class loader cannot, portably).
     */
    static Migrations fromWebapp(ServletContext context) {
        String dir = "/WEB-INF/classes/" + DIRECTORY + "/";
        Set<String> paths = context.getResourcePaths(dir);
        if (paths == null || paths.isEmpty()) {
            return fromClassPath();
        }
        Map<String, String> files = new TreeMap<>();
        for (String path : paths) {
            String name = path.substring(path.lastIndexOf('/', path.length() - 2) + 1);
            if (name.endsWith(".sql")) {
                try (InputStream in = context.getResourceAsStream(path)) {
                    if (in == null) {
                        throw new IOException("listed but not found");
                    }
                    files.put(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new CannotStart("cannot read " + path + " from the WAR: " + e);
                }
            }
        }
        return of(files, DEFAULT_WAIT, defaultAppliedBy());
    }

    /** @param files file name to content, as found in {@link #DIRECTORY} */
    static Migrations of(Map<String, String> files, Duration wait, String appliedBy) {
        Map<Integer, Migration> byVersion = new TreeMap<>();
        for (Map.Entry<String, String> f : files.entrySet()) {
            Matcher m = FILE_NAME.matcher(f.getKey());
            if (!m.matches()) {
                throw new CannotStart(DIRECTORY + "/" + f.getKey() + " is not named V<version>__<description>.sql"
                        + " (two underscores): rename it or move it out of " + DIRECTORY);
            }
            int version = Integer.parseInt(m.group(1));
            Migration migration = new Migration(version, m.group(2).replace('_', ' '), f.getKey(),
                    statements(f.getValue()));
            Migration other = byVersion.put(version, migration);
            if (other != null) {
                throw new CannotStart(DIRECTORY + " holds two files for version " + version + ": " + other.file()
                        + " and " + f.getKey());
            }
            requireSelfRecording(migration);
        }
        int expected = 1;
        for (int version : byVersion.keySet()) {
            if (version != expected) {
                throw new CannotStart(DIRECTORY + " has no V" + expected + "__*.sql before V" + version
                        + ": versions must follow each other from 1");
            }
            expected++;
        }
        if (byVersion.isEmpty()) {
            throw new CannotStart("no schema migration found in " + DIRECTORY + " on the class path");
        }
        String first = byVersion.get(1).statements().get(0);
        if (!first.startsWith("CREATE TABLE IF NOT EXISTS " + HISTORY + " ")) {
            throw new CannotStart(byVersion.get(1).where() + " must begin by creating " + HISTORY);
        }
        return new Migrations(List.copyOf(byVersion.values()), wait, appliedBy, () -> { });
    }

    /** The same files, waiting at most {@code wait} for another instance, recorded as applied by {@code by}. */
    Migrations with(Duration newWait, String by) {
        return new Migrations(migrations, newWait, by, beforeClaim);
    }

    Migrations pausingBeforeEachClaim(Runnable pause) {
        return new Migrations(migrations, wait, appliedBy, pause);
    }

    /** What a hand application leaves is what we leave: the file's last statement must record its own version. */
    private static void requireSelfRecording(Migration m) {
        String last = m.statements().isEmpty() ? "" : m.statements().get(m.statements().size() - 1);
        Pattern upsert = Pattern.compile("(?s)INSERT INTO " + HISTORY + " \\(version, description, script, status,"
                + " started_at, finished_at, applied_by\\)\\s+VALUES \\(" + m.version() + ", '[^']*', '"
                + Pattern.quote(m.file()) + "', 'success', .*ON DUPLICATE KEY UPDATE status = 'success',"
                + " finished_at = UTC_TIMESTAMP\\(3\\)");
        if (!upsert.matcher(last).matches()) {
            throw new CannotStart(m.where() + " must end with the statement that records it in " + HISTORY
                    + " (INSERT ... VALUES (" + m.version() + ", ..., '" + m.file() + "', 'success', ...) ON DUPLICATE"
                    + " KEY UPDATE ...), copied from the previous version's file");
        }
    }

    List<Migration> all() {
        return migrations;
    }

    /**
     * Brings the database up to the newest version: creates the history table, records an existing pre-migration
     * schema as V1 (baseline) without running it, then applies each missing version in order, waiting for the ones
     * another instance is applying. Restores the connection's autocommit and time zone afterwards (a migration may
     * set the session's time zone, and the connection may go back to a pool).
     *
     * @return the versions this call applied or recorded
     */
    public List<Integer> apply(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        String timeZone = sessionTimeZone(c);
        List<Integer> done = new ArrayList<>();
        try {
            // every statement on its own: claims must be visible at once, and DDL commits anyway
            c.setAutoCommit(true);
            execute(c, migrations.get(0).statements().get(0));
            Map<Integer, Applied> history = history(c);
            if (!history.containsKey(1) && missingBaselineTables(c).isEmpty() && recordBaseline(c)) {
                done.add(1);
            }
            for (Migration m : migrations) {
                if (applyOne(c, m)) {
                    done.add(m.version());
                }
            }
            warnIfAhead(history(c));
        } finally {
            if (!timeZone.equals(sessionTimeZone(c))) {
                try (Statement st = c.createStatement()) {
                    st.execute("SET time_zone = '" + timeZone.replace("'", "''") + "'");
                }
            }
            c.setAutoCommit(autoCommit);
        }
        return done;
    }

    /** db.init-schema=false: refuses unless every version is recorded as done. Changes nothing. */
    void check(Connection c) throws SQLException {
        Map<Integer, Applied> history = historyTableExists(c) ? history(c) : Map.of();
        List<Migration> pending = new ArrayList<>();
        for (Migration m : migrations) {
            Applied a = history.get(m.version());
            if (a != null && (a.status().equals("started") || a.status().equals("failed"))) {
                throw new CannotStart(unfinished(m, a, "is recorded as '" + a.status() + "'"));
            }
            if (a == null) {
                pending.add(m);
            }
        }
        if (!pending.isEmpty()) {
            throw new CannotStart("db.init-schema (" + Settings.envName(Settings.DB_INIT_SCHEMA) + ") is false and the database lacks schema"
                    + " migration" + (pending.size() > 1 ? "s " : " ")
                    + pending.stream().map(m -> "V" + m.version()).collect(Collectors.joining(", "))
                    + ": apply " + pending.stream().map(Migration::where).collect(Collectors.joining(", "))
                    + " in this order with the mariadb or mysql client (the files are in the WAR under WEB-INF/classes/"
                    + DIRECTORY + "), or set db.init-schema=true to have them applied at start-up");
        }
        warnIfAhead(history);
    }

    /** True when this call applied the file; false when it was already applied (by anyone). */
    private boolean applyOne(Connection c, Migration m) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        boolean waited = false;
        while (true) {
            Applied a = history(c).get(m.version());
            if (a == null) {
                beforeClaim.run();
                if (claim(c, m)) {
                    run(c, m);
                    return true;
                }
                continue; // another instance claimed it first: look again
            }
            switch (a.status()) {
                case "success", "baseline" -> {
                    if (waited) {
                        LOG.info("Schema migration V{} ({}) was applied by {}", m.version(), m.file(), a.by());
                    }
                    return false;
                }
                case "started" -> {
                    if (System.nanoTime() > deadline) {
                        throw new CannotStart(unfinished(m, a, "is still 'started' after waiting "
                                + wait.toSeconds() + " s"));
                    }
                    if (!waited) {
                        LOG.info("Schema migration V{} ({}) is being applied by {}: waiting up to {} s",
                                m.version(), m.file(), a.by(), wait.toSeconds());
                        waited = true;
                    }
                    sleep();
                }
                default -> throw new CannotStart(unfinished(m, a, "is recorded as '" + a.status() + "'"));
            }
        }
    }

    private boolean claim(Connection c, Migration m) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + HISTORY + " (version, description, script,"
                + " status, started_at, applied_by) VALUES (?, ?, ?, 'started', UTC_TIMESTAMP(3),"
                + " LEFT(CONCAT(?, ' as ', CURRENT_USER()), 255))")) {
            ps.setInt(1, m.version());
            ps.setString(2, m.description());
            ps.setString(3, m.file());
            ps.setString(4, appliedBy);
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            // Galera: two nodes' inserts both succeed locally and one fails certification (a deadlock error), or,
            // when the server retries the autocommit statement (wsrep_retry_autocommit), sees the winner's row
            if (e.getErrorCode() == ER_DUP_ENTRY || e.getErrorCode() == ER_LOCK_DEADLOCK) {
                LOG.info("Schema migration V{} ({}): another instance claimed it first (error {}{}): looking again",
                        m.version(), m.file(), e.getErrorCode(), e.getErrorCode() == ER_LOCK_DEADLOCK
                                ? ", a deadlock or a Galera certification conflict" : ", duplicate key");
                return false;
            }
            throw e;
        }
    }

    private void run(Connection c, Migration m) throws SQLException {
        long started = System.nanoTime();
        List<String> statements = m.statements();
        for (int i = 0; i < statements.size(); i++) {
            try {
                execute(c, statements.get(i));
            } catch (SQLException e) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + HISTORY + " SET status = 'failed',"
                        + " finished_at = UTC_TIMESTAMP(3) WHERE version = ? AND status = 'started'")) {
                    ps.setInt(1, m.version());
                    ps.executeUpdate();
                } catch (SQLException ignored) {
                    // the row stays 'started': refused all the same, with the same advice
                }
                throw new CannotStart("schema migration V" + m.version() + " (" + m.where() + ") failed at statement "
                        + (i + 1) + " of " + statements.size() + ": " + Text.printable(e.getMessage(), 300) + ". "
                        + advice(m), e);
            }
        }
        Applied a = history(c).get(m.version());
        if (a == null || !a.status().equals("success")) {
            throw new CannotStart("schema migration V" + m.version() + " (" + m.where() + ") ran but did not record"
                    + " itself as 'success' in " + HISTORY + ". " + advice(m));
        }
        LOG.info("Schema migration V{} ({}) applied in {} ms", m.version(), m.file(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** The tables of before migrations, found without a history: V1 is what made them, so it is not run. */
    private boolean recordBaseline(Connection c) throws SQLException {
        Migration v1 = migrations.get(0);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + HISTORY + " (version, description, script,"
                + " status, started_at, finished_at, applied_by) VALUES (1, ?, ?, 'baseline', UTC_TIMESTAMP(3),"
                + " UTC_TIMESTAMP(3), LEFT(CONCAT(?, ' as ', CURRENT_USER()), 255))")) {
            ps.setString(1, v1.description());
            ps.setString(2, v1.file());
            ps.setString(3, appliedBy);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_DUP_ENTRY || e.getErrorCode() == ER_LOCK_DEADLOCK) {
                return false; // another instance recorded it
            }
            throw e;
        }
        LOG.info("Tables {} exist without a schema history: recorded as V1 ({}, baseline) without running it",
                BASELINE_TABLES, v1.file());
        return true;
    }

    private static String unfinished(Migration m, Applied a, String state) {
        return "schema migration V" + m.version() + " (" + m.where() + "), claimed at " + a.startedAt() + " UTC by "
                + a.by() + ", " + state + ". If no instance is applying it now, it was interrupted. " + advice(m);
    }

    private static String advice(Migration m) {
        return "MySQL DDL is not transactional, so its statements before the failure took effect: compare the"
                + " tables (SHOW CREATE TABLE) with the file, finish or undo its statements by hand, then either run"
                + " the rest of the file by hand (its last statement records V" + m.version() + " as success) or"
                + " DELETE FROM " + HISTORY + " WHERE version = " + m.version() + " to have it applied again, and"
                + " start again";
    }

    private void warnIfAhead(Map<Integer, Applied> history) {
        Set<Integer> unknown = new TreeSet<>(history.keySet());
        unknown.removeIf(v -> v <= migrations.size());
        if (!unknown.isEmpty()) {
            LOG.warn("The database has schema migrations {} that this version of alipay-notify does not know (a newer"
                    + " version applied them): running with them", unknown.stream().map(v -> "V" + v).toList());
        }
    }

    private static Map<Integer, Applied> history(Connection c) throws SQLException {
        Map<Integer, Applied> rows = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version, script, status,"
                + " CAST(started_at AS CHAR), CAST(finished_at AS CHAR), applied_by FROM " + HISTORY
                + " WHERE version > 0 ORDER BY version")) {
            while (rs.next()) {
                rows.put(rs.getInt(1), new Applied(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6)));
            }
        }
        return rows;
    }

    private static boolean historyTableExists(Connection c) throws SQLException {
        return !tablesPresent(c, List.of(HISTORY)).isEmpty();
    }

    private static List<String> missingBaselineTables(Connection c) throws SQLException {
        List<String> missing = new ArrayList<>(BASELINE_TABLES);
        missing.removeAll(tablesPresent(c, BASELINE_TABLES));
        return missing;
    }

    private static List<String> tablesPresent(Connection c, List<String> names) throws SQLException {
        String in = names.stream().map(n -> "?").collect(Collectors.joining(", "));
        List<String> present = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT table_name FROM information_schema.tables"
                + " WHERE table_schema = DATABASE() AND table_name IN (" + in + ")")) {
            for (int i = 0; i < names.size(); i++) {
                ps.setString(i + 1, names.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
            }
        }
        return present;
    }

    private static String sessionTimeZone(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@session.time_zone")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CannotStart("interrupted while waiting for a schema migration");
        }
    }

    /** The statements of a file, comment lines removed; files hold no ';' inside literals. */
    static List<String> statements(String text) {
        StringBuilder withoutComments = new StringBuilder();
        for (String line : text.split("\n")) {
            if (!line.stripLeading().startsWith("--")) {
                withoutComments.append(line).append('\n');
            }
        }
        List<String> statements = new ArrayList<>();
        for (String part : withoutComments.toString().split(";")) {
            if (!part.isBlank()) {
                statements.add(part.strip());
            }
        }
        return statements;
    }

    private static String defaultAppliedBy() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown host";
            }
        }
        return "alipay-notify " + Health.VERSION + " on " + host;
    }

    private static Map<String, String> readClassPath(ClassLoader loader) {
        Map<String, String> files = new TreeMap<>();
        try {
            for (URL dir : Collections.list(loader.getResources(DIRECTORY))) {
                switch (dir.getProtocol()) {
                    case "file" -> {
                        try (Stream<Path> paths = Files.list(Path.of(dir.toURI()))) {
                            for (Path p : paths.filter(p -> p.toString().endsWith(".sql")).toList()) {
                                files.putIfAbsent(p.getFileName().toString(), Files.readString(p));
                            }
                        }
                    }
                    case "jar" -> {
                        JarURLConnection connection = (JarURLConnection) dir.openConnection();
                        connection.setUseCaches(false);
                        try (JarFile jar = connection.getJarFile()) {
                            for (JarEntry e : Collections.list(jar.entries())) {
                                String name = e.getName();
                                if (name.startsWith(DIRECTORY + "/") && name.endsWith(".sql")
                                        && name.indexOf('/', DIRECTORY.length() + 1) < 0) {
                                    try (InputStream in = jar.getInputStream(e)) {
                                        files.putIfAbsent(name.substring(DIRECTORY.length() + 1),
                                                new String(in.readAllBytes(), StandardCharsets.UTF_8));
                                    }
                                }
                            }
                        }
                    }
                    default -> throw new CannotStart("cannot list " + DIRECTORY + " in " + dir);
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new CannotStart("cannot read the schema migrations in " + DIRECTORY + ": " + e);
        }
        return files;
    }
}
