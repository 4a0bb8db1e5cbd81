package org.alipaynotify.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx, run by a test as a child process with everything (configuration, pid, logs, temp files) in one
 * directory, as deploy/test-deployment.sh runs it; stopped with the test. Absent nginx: {@link #binary()} is empty
 * and the test says it is skipped.
 */
public final class Nginx implements AutoCloseable {
    private final Process process;
    private final Path dir;

    private Nginx(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    public static Optional<Path> binary() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx")) {
            Path p = Path.of(candidate);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** A loopback port nobody listens on now (nginx binds it a moment later). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts nginx with {@code http} as the body of its http block, after {@code nginx -t} accepted it, and waits
     * until every port in {@code ports} accepts connections.
     */
    public static Nginx start(Path dir, String http, List<Integer> ports) throws Exception {
        Path nginx = binary().orElseThrow(() -> new IllegalStateException("nginx is not installed"));
        for (String sub : List.of("logs", "tmp")) {
            Files.createDirectories(dir.resolve(sub));
        }
        String conf = String.join("\n",
                "worker_processes 1;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "error_log " + dir.resolve("logs/error.log") + " warn;",
                "events { worker_connections 128; }",
                "http {",
                "    access_log " + dir.resolve("logs/access.log") + ";",
                "    client_body_temp_path " + dir.resolve("tmp/body") + ";",
                "    proxy_temp_path " + dir.resolve("tmp/proxy") + ";",
                "    fastcgi_temp_path " + dir.resolve("tmp/fastcgi") + ";",
                "    uwsgi_temp_path " + dir.resolve("tmp/uwsgi") + ";",
                "    scgi_temp_path " + dir.resolve("tmp/scgi") + ";",
                http,
                "}", "");
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf, StandardCharsets.UTF_8);
        List<String> base = List.of(nginx.toString(), "-p", dir + "/", "-c", file.toString(), "-e",
                dir.resolve("logs/error.log").toString());
        Process test = new ProcessBuilder(concat(base, "-t", "-q")).redirectErrorStream(true).start();
        String testOutput = new String(test.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!test.waitFor(20, TimeUnit.SECONDS) || test.exitValue() != 0) {
            throw new IllegalStateException("nginx -t refused " + file + ":\n" + testOutput);
        }
        Process p = new ProcessBuilder(concat(base, "-g", "daemon off;"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
        Nginx started = new Nginx(p, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (int port : ports) {
            while (!accepts(port)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    started.close();
                    throw new IllegalStateException("nginx did not listen on " + port + ":\n" + started.errorLog());
                }
                Thread.sleep(50);
            }
        }
        return started;
    }

    private static List<String> concat(List<String> base, String... more) {
        List<String> all = new java.util.ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String errorLog() {
        try {
            return Files.readString(dir.resolve("logs/error.log"));
        } catch (IOException e) {
            return "(no error log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: nginx's fast shutdown, workers included
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
