package org.alipaynotify.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's options and what it says when there is nothing to talk to; with a server: SimulatorIT. */
class SimulateTest {
    @TempDir
    Path dir;

    private static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Simulate.run(args, ps, ps);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aDemoOrderWithoutAmountIsPaidWithItsOwnAmount() {
        for (Map.Entry<String, String> demo : EmbeddedLocalRun.DEMO_ORDERS.entrySet()) {
            assertEquals(demo.getValue(), Simulate.Options.parse(new String[] {"--order", demo.getKey()}).amount,
                    demo.getKey());
        }
        assertEquals("88.80", Simulate.Options.parse(new String[0]).amount, "demo-0001 by default");
        assertEquals("5.00", Simulate.Options.parse(new String[] {"--order", "demo-0002", "--amount", "5.00"})
                .amount, "--amount still wins: that is how an amount mismatch is tried");
    }

    @Test
    void anotherOrderWithoutAmountIsAUsageErrorNotAGuess() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Simulate.Options.parse(new String[] {"--order", "shop-42"}));
        assertTrue(e.getMessage().startsWith("--amount is required for shop-42, which is not a demo order"),
                e.getMessage());
    }

    @Test
    void noServerListeningIsSaidWithWhatToDo() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path key = SandboxKeys.generate().writePrivateKey(dir.resolve("key.pem"));

        String out = run("--url", "http://127.0.0.1:" + closed + "/alipay/notify", "--key", key.toString(),
                "--app-id", "2021000000000001", "--local-dir", dir.toString());

        assertTrue(out.contains("try 1/1: no answer: nothing listens at http://127.0.0.1:" + closed
                + "/alipay/notify (java.net.ConnectException"), out);
        assertTrue(out.contains("Start the local run first (./mvnw jetty:run, then wait for \"alipay-notify ..."
                + " ready\"), or check --url."), out);
        assertTrue(out.contains("No 'success' answer: Alipay would deliver it again 7 times over about 25 hours"
                + " (--retry plays that schedule, compressed)."), out);
    }

    @Test
    void withoutALocalRunTheSimulatorSaysToStartOne() {
        String out = run("--local-dir", dir.toString(), "--url", "http://127.0.0.1:9/alipay/notify");

        assertTrue(out.contains("no --app-id, and no local run has started in " + dir + " (local-run.properties is"
                + " missing): start it first with ./mvnw jetty:run, or give --url, --key and --app-id"), out);
    }
}
