package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./mvnw jetty:run} itself, as a newcomer types it, with a setting the webapp refuses: the run must stop (not
 * stay up answering 503), print the reason last, and get there without installing or starting the embedded
 * database. Runs Maven in a process of its own (about 15-25 s here).
 */
class LocalRunMavenIT {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aRefusedSettingStopsTheRunWithTheReasonLastAndStartsNothing() throws Exception {
        Path basedir = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(basedir.resolve("mvnw").toString(), "-B"));
        // "offline=true" when this build runs offline (a Boolean cannot be passed on as a property by itself)
        if ("offline=true".equals(System.getProperty("alipay-notify.test.maven-offline"))) {
            command.add("-o");
        }
        String repo = System.getProperty("alipay-notify.test.maven-repo");
        if (repo != null && !repo.isBlank() && !repo.startsWith("${")) {
            command.add("-Dmaven.repo.local=" + repo);
        }
        Path localDir = dir.resolve("local-run");
        command.addAll(List.of("jetty:run", "-Djetty.http.port=" + freePort(),
                "-Dalipay-notify.local-db-port=" + freePort(), "-Dalipay-notify.local-dir=" + localDir,
                "-Dalipay.sign-type=FOO"));
        Path log = dir.resolve("jetty-run.log");
        long started = System.nanoTime();
        Process maven = new ProcessBuilder(command).directory(basedir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean stopped = maven.waitFor(150, TimeUnit.SECONDS);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        if (!stopped) {
            maven.descendants().forEach(ProcessHandle::destroy);
            maven.destroy();
            maven.waitFor(30, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        assertTrue(stopped, "./mvnw jetty:run was still running after 150 s with a refused setting:\n" + tail);
        System.out.println("LocalRunMavenIT: ./mvnw jetty:run with -Dalipay.sign-type=FOO stopped after " + seconds
                + " s");
        assertNotEquals(0, maven.exitValue(), tail);

        int failure = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("BUILD FAILURE")) {
                failure = i;
            }
        }
        assertTrue(failure >= 0, tail);
        int reason = -1;
        for (int i = failure; i < lines.size(); i++) {
            if (lines.get(i).startsWith("[ERROR]")) {
                reason = i;
                break;
            }
        }
        assertTrue(reason > 0 && lines.get(reason).contains("alipay-notify cannot start: alipay.sign-type"
                + " (ALIPAY_NOTIFY_SIGN_TYPE) must be RSA2 or RSA, got 'FOO'"), tail);
        for (String after : lines.subList(reason, lines.size())) {
            // only Maven's own advice (-e, -X, [Help 1]) follows the reason: no Jetty shutdown noise
            assertTrue(after.startsWith("[ERROR]"), "printed after the reason: " + after + "\n" + tail);
        }
        assertFalse(lines.stream().anyMatch(l -> l.contains("could not be found")), "Jasper's XMLSchema.dtd,"
                + " datatypes.dtd and xml.xsd warnings are back:\n" + tail);
        assertFalse(Files.exists(localDir.resolve("mariadb")), "the embedded database was installed or started");
        assertFalse(Files.exists(localDir.resolve("sandbox")), "sandbox keys were made");
        assertEquals(1, lines.stream().filter(l -> l.contains("ERROR") && l.contains("Bootstrap alipay-notify"
                + " cannot start")).count(), "one ERROR line of the webapp's own:\n" + tail);
    }
}
