package org.alipaynotify.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop HTTP/1.1 load generator: {@code concurrency} keep-alive connections, each sending the next
 * pre-built request as soon as the previous answer is in. Requests are bytes prepared before the clock starts, and
 * the client is a plain socket per thread, so that on a 2-core machine the generator takes as little CPU from the
 * server as possible (java.net.http would cost several times more per request).
 */
final class LoadGenerator {
    private LoadGenerator() {
    }

    /** Every request answered: how long each took, and how many answers were not {@code 200 success}. */
    record Run(Latencies latencies, int notSuccess, String firstFailure) {
    }

    static byte[] post(int port, String path, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[h.length + body.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(body, 0, request, h.length, body.length);
        return request;
    }

    static Run run(int port, List<byte[]> requests, int concurrency) throws Exception {
        long[] nanos = new long[requests.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger notSuccess = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        AtomicReference<Exception> crashed = new AtomicReference<>();
        CountDownLatch connected = new CountDownLatch(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                Connection socket = null;
                try {
                    socket = new Connection(port);
                    connected.countDown();
                    go.await();
                    for (int i = next.getAndIncrement(); i < nanos.length; i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        String answer;
                        try {
                            answer = socket.exchange(requests.get(i));
                        } catch (IOException closed) {
                            // The server may close an idle or old keep-alive connection; one reconnect, then fail.
                            socket.close();
                            socket = new Connection(port);
                            answer = socket.exchange(requests.get(i));
                        }
                        nanos[i] = System.nanoTime() - t0;
                        if (!answer.equals("200 success")) {
                            notSuccess.incrementAndGet();
                            firstFailure.compareAndSet(null, "request " + i + ": " + answer);
                        }
                    }
                } catch (Exception e) {
                    crashed.compareAndSet(null, e);
                    connected.countDown();
                } finally {
                    if (socket != null) {
                        socket.close();
                    }
                }
            }, "load-" + t);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        connected.await();
        long started = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        long wall = System.nanoTime() - started;
        if (crashed.get() != null) {
            throw new IllegalStateException("load generator failed", crashed.get());
        }
        return new Run(new Latencies(nanos, wall), notSuccess.get(), firstFailure.get());
    }

    /** One keep-alive connection. */
    private static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Connection(int port) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(60_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 4096);
        }

        /** Sends one request, reads one answer; returns "status body". */
        String exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String statusLine = readLine(in);
            if (statusLine == null) {
                throw new IOException("connection closed before an answer");
            }
            int contentLength = -1;
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    contentLength = Integer.parseInt(line.substring(colon + 1).trim());
                }
            }
            if (contentLength < 0) {
                throw new IOException("answer without Content-Length: " + statusLine);
            }
            byte[] body = in.readNBytes(contentLength);
            String[] parts = statusLine.split(" ", 3);
            return parts[1] + " " + new String(body, StandardCharsets.UTF_8);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // the run is over
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) b);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
