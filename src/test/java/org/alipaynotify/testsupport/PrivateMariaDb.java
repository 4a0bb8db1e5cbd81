package org.alipaynotify.testsupport;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A MariaDB server of a test's own, started from the system's binaries (as deployed: Debian's 10.11) with server
 * options the shared server must not get, such as a binary log in STATEMENT format. On 127.0.0.1 and a free port,
 * root without a password, everything in a temporary directory that {@link #close} stops and deletes. About a second
 * to install and start on this machine.
 */
public final class PrivateMariaDb implements AutoCloseable {
    static final Path SERVER = Path.of("/usr/sbin/mariadbd");
    static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");

    private final Path dir;
    private final Process process;
    private final int port;

    private PrivateMariaDb(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** @param options server options, such as {@code --log-bin}, {@code --binlog-format=STATEMENT} */
    public static PrivateMariaDb start(String... options) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SERVER) && Files.isExecutable(INSTALL_DB),
                "needs the system's MariaDB server binaries (" + SERVER + ", " + INSTALL_DB + ")");
        Path dir = Files.createTempDirectory("alipay-notify-mariadb-");
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> install = new ArrayList<>(List.of(INSTALL_DB.toString(), "--no-defaults",
                "--datadir=" + dir.resolve("data"), "--auth-root-authentication-method=normal", "--skip-test-db"));
        if (root) {
            install.add("--user=root"); // as root mariadbd refuses to run unless told which user to be
        }
        run(install, dir.resolve("install.log"));
        int port = freePort();
        List<String> server = new ArrayList<>(List.of(SERVER.toString(), "--no-defaults",
                "--datadir=" + dir.resolve("data"), "--socket=" + dir.resolve("sock"), "--port=" + port,
                "--bind-address=127.0.0.1", "--pid-file=" + dir.resolve("pid"), "--skip-name-resolve",
                "--innodb-buffer-pool-size=32M"));
        if (root) {
            server.add("--user=root");
        }
        server.addAll(List.of(options));
        Process p = new ProcessBuilder(server).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        PrivateMariaDb db = new PrivateMariaDb(dir, p, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Connection c = DriverManager.getConnection(db.serverUrl(), "root", "")) {
                return db;
            } catch (SQLException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String log = Files.readString(dir.resolve("server.log"));
                    db.close();
                    throw new IllegalStateException("the private MariaDB did not start: " + log, e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** {@code jdbc:mysql://127.0.0.1:PORT/} */
    public String serverUrl() {
        return "jdbc:mysql://127.0.0.1:" + port + "/";
    }

    /** Creates a database and returns its URL. */
    public String createDatabase(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(serverUrl(), "root", "");
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        }
        return serverUrl() + name;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static void run(List<String> command, Path log) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " failed: " + Files.readString(log));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
