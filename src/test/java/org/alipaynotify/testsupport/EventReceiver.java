package org.alipaynotify.testsupport;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.alipaynotify.events.EventSignature;

/**
 * A merchant's event endpoint for the tests: a real HTTP server on loopback that verifies each event's signature as a
 * receiver must, records what arrived in order, notices two deliveries of one event at the same time, and answers
 * what the test wants (2xx, 500, or nothing for a while).
 */
public final class EventReceiver implements AutoCloseable {
    /** One delivery as received. */
    public record Delivery(String eventId, String type, String body, Instant at, boolean signatureValid) {
    }

    private final HttpServer server;
    private final java.util.concurrent.ExecutorService threads = Executors.newCachedThreadPool();
    private final byte[] secret;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger concurrentDuplicates = new AtomicInteger();
    private volatile IntSupplier answer = () -> 200;
    private volatile long delayMs;

    public EventReceiver(byte[] secret) throws IOException {
        this.secret = secret.clone();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/events", exchange -> {
            String id = exchange.getRequestHeaders().getFirst("Alipay-Notify-Event-Id");
            boolean first = inFlight.add(id);
            if (!first) {
                concurrentDuplicates.incrementAndGet();
            }
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                boolean valid;
                try {
                    EventSignature.verify(secret, exchange.getRequestHeaders().getFirst(EventSignature.HEADER), body,
                            EventSignature.DEFAULT_TOLERANCE, Instant.now());
                    valid = true;
                } catch (EventSignature.Invalid e) {
                    valid = false;
                }
                if (delayMs > 0) {
                    Thread.sleep(delayMs);
                }
                int status = answer.getAsInt();
                if (status >= 200 && status < 300) {
                    synchronized (deliveries) {
                        deliveries.add(new Delivery(id, exchange.getRequestHeaders().getFirst(
                                "Alipay-Notify-Event-Type"), new String(body, StandardCharsets.UTF_8), Instant.now(),
                                valid));
                    }
                }
                exchange.sendResponseHeaders(status, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (first) {
                    inFlight.remove(id);
                }
                exchange.close();
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
    }

    /** What to answer from now on (a status per request). */
    public void answer(IntSupplier status) {
        this.answer = status;
    }

    public void delay(Duration d) {
        this.delayMs = d.toMillis();
    }

    /** The deliveries answered 2xx, in the order they arrived. */
    public List<Delivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    /** How often an event arrived while another delivery of the same event was still in progress. */
    public int concurrentDuplicates() {
        return concurrentDuplicates.get();
    }

    /** Waits (bounded) until at least {@code n} deliveries were answered 2xx. */
    public List<Delivery> await(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (deliveries().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return deliveries();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
