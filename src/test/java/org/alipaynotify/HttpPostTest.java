package org.alipaynotify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The one POST the relay and the gateway client make, over real HTTP to a JDK server. */
class HttpPostTest {
    private HttpServer server;
    private final AtomicReference<String> seen = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/echo", x -> {
            byte[] in = x.getRequestBody().readAllBytes();
            seen.set(x.getRequestHeaders().getFirst("X-Test") + "|" + new String(in, StandardCharsets.UTF_8));
            byte[] out = ("got " + in.length).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        server.createContext("/big", x -> {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(200, 0);
            try (OutputStream o = x.getResponseBody()) {
                o.write(new byte[10_000]);
            }
        });
        server.createContext("/refuse", x -> {
            x.getRequestBody().readAllBytes();
            byte[] out = "busy".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(503, out.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(out);
            }
        });
        server.createContext("/moved", x -> {
            x.getRequestBody().readAllBytes();
            x.getResponseHeaders().add("Location", "/echo");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        server.createContext("/slow", x -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void sendsTheBodyAndHeadersAndReadsTheAnswer() throws Exception {
        HttpPost.Answer a = HttpPost.send(url("/echo"), 2_000, Map.of("X-Test", "yes"),
                "héllo".getBytes(StandardCharsets.UTF_8), 100);
        assertEquals(200, a.status());
        assertTrue(a.ok());
        assertFalse(a.tooLarge());
        assertEquals("got 6", new String(a.body(), StandardCharsets.UTF_8));
        assertEquals("yes|héllo", seen.get());
    }

    @Test
    void readsNoMoreThanTheLimitAndSaysThereWasMore() throws Exception {
        HttpPost.Answer a = HttpPost.send(url("/big"), 2_000, Map.of(), new byte[1], 4_096);
        assertTrue(a.tooLarge());
        assertEquals(4_096, a.body().length);
        HttpPost.Answer exact = HttpPost.send(url("/big"), 2_000, Map.of(), new byte[1], 10_000);
        assertFalse(exact.tooLarge());
        assertArrayEquals(new byte[10_000], exact.body());
    }

    @Test
    void anErrorStatusIsAnAnswerWithItsBody() throws Exception {
        HttpPost.Answer a = HttpPost.send(url("/refuse"), 2_000, Map.of(), new byte[0], 100);
        assertEquals(503, a.status());
        assertFalse(a.ok());
        assertEquals("busy", new String(a.body(), StandardCharsets.UTF_8));
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        HttpPost.Answer a = HttpPost.send(url("/moved"), 2_000, Map.of("X-Test", "r"), new byte[0], 100);
        assertEquals(302, a.status());
        assertFalse(a.ok());
        assertEquals(null, seen.get(), "the redirect target was called");
    }

    @Test
    void noAnswerWithinTheTimeoutThrows() {
        long t0 = System.nanoTime();
        assertThrows(SocketTimeoutException.class,
                () -> HttpPost.send(url("/slow"), 300, Map.of(), new byte[0], 100));
        assertTrue(System.nanoTime() - t0 < 1_900_000_000L, "waited for the slow answer");
    }
}
