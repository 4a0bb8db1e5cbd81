package org.alipaynotify.dev;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.alipaynotify.events.EventSignature;

/**
 * bin/receive-events: the merchant's side of the event relay, for trying it locally. Listens on 127.0.0.1, checks
 * each event's signature with the given secret, prints it, and answers 204 (or what --status says, to see retries).
 */
public final class ReceiveEvents {
    private ReceiveEvents() {
    }

    public static void main(String[] args) throws Exception {
        int port = 9099;
        String secret = null;
        int status = 204;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--secret": secret = args[++i]; break;
                case "--status": status = Integer.parseInt(args[++i]); break;
                default:
                    System.err.println("usage: bin/receive-events [--port 9099] --secret SECRET [--status 204]");
                    System.exit(2);
            }
        }
        if (secret == null) {
            System.err.println("--secret is required: the events.secret the webapp signs with");
            System.exit(2);
        }
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        int answer = status;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String verdict;
            try {
                EventSignature.verify(key, exchange.getRequestHeaders().getFirst(EventSignature.HEADER), body,
                        EventSignature.DEFAULT_TOLERANCE, Instant.now());
                verdict = "signature OK";
            } catch (EventSignature.Invalid e) {
                verdict = "SIGNATURE REFUSED: " + e.getMessage();
            }
            System.out.printf("%s %s %s (%s)%n  %s%n", Instant.now(), exchange.getRequestHeaders().getFirst(
                    "Alipay-Notify-Event-Type"), exchange.getRequestHeaders().getFirst("Alipay-Notify-Event-Id"),
                    verdict, new String(body, StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(verdict.startsWith("signature OK") ? answer : 400, -1);
            exchange.close();
        });
        server.start();
        System.out.println("Receiving events on http://127.0.0.1:" + port + "/ (answering " + answer
                + "); Ctrl-C to stop");
    }
}
