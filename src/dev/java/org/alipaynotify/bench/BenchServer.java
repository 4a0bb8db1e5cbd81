package org.alipaynotify.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;

/**
 * A server JVM of the benchmark (started by {@link Benchmark} with the heap limit under test), Jetty 12 with
 * {@code /bench/stats} reporting this JVM's heap and GC, and either the built WAR at {@code /} (mode {@code war}), or
 * the reference handlers (mode {@code reference}): the tutorial handler at {@code /naive/notify} and an empty handler
 * at {@code /bench/empty}. They never share a JVM with the WAR, so the JIT compiles the container for one handler.
 *
 * <p>Arguments: mode, WAR path, port, certificate path, JDBC URL of the benchmark database. The webapp reads its
 * settings from the system properties the parent passes.
 */
public final class BenchServer {
    private BenchServer() {
    }

    public static void main(String[] args) throws Exception {
        boolean war = args[0].equals("war");
        int port = Integer.parseInt(args[2]);
        HeapWatch heap = new HeapWatch();
        heap.start();

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);

        ServletContextHandler bench = new ServletContextHandler("/bench");
        bench.addServlet(new ServletHolder(new StatsServlet(heap)), "/stats");
        WebAppContext webapp = null;
        if (war) {
            webapp = new WebAppContext();
            webapp.setWar(args[1]);
            webapp.setContextPath("/");
            server.setHandler(new ContextHandlerCollection(webapp, bench));
        } else {
            bench.addServlet(new ServletHolder(new EmptyHandler()), "/empty");
            ServletContextHandler naive = new ServletContextHandler("/naive");
            naive.addServlet(new ServletHolder(new NaiveNotifyServlet(args[3], args[4], "root", "")), "/notify");
            server.setHandler(new ContextHandlerCollection(naive, bench));
        }
        server.start();
        if (webapp != null && webapp.getUnavailableException() != null) {
            throw new IllegalStateException("the WAR did not start", webapp.getUnavailableException());
        }
        server.join();
    }

    /** Samples the heap every 10 ms: the peak in use (garbage included) and the peak left after a collection. */
    static final class HeapWatch extends Thread {
        final AtomicLong peakUsed = new AtomicLong();
        final AtomicLong peakAfterGc = new AtomicLong();

        HeapWatch() {
            super("heap-watch");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                peakUsed.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
                        Math::max);
                long afterGc = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
                    afterGc += u == null ? 0 : u.getUsed();
                }
                peakAfterGc.accumulateAndGet(afterGc, Math::max);
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * Reads the body and answers {@code success}, nothing else: what the container, the network and the load
     * generator cost per request on their own, the floor under any handler.
     */
    static final class EmptyHandler extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            request.getInputStream().readAllBytes();
            byte[] answer = "success".getBytes(StandardCharsets.US_ASCII);
            response.setContentType("text/plain;charset=US-ASCII");
            response.setContentLength(answer.length);
            response.getOutputStream().write(answer);
        }
    }

    /** {@code key value} lines; {@code ?reset=1} starts the peaks again after reading them. */
    static final class StatsServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient HeapWatch heap;

        StatsServlet(HeapWatch heap) {
            this.heap = heap;
        }

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            long gcCount = 0;
            long gcMs = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                gcCount += Math.max(0, gc.getCollectionCount());
                gcMs += Math.max(0, gc.getCollectionTime());
            }
            String text = "heap_max " + Runtime.getRuntime().maxMemory()
                    + "\nheap_peak_used " + heap.peakUsed.get()
                    + "\nheap_peak_after_gc " + heap.peakAfterGc.get()
                    + "\ngc_count " + gcCount
                    + "\ngc_ms " + gcMs + "\n";
            if ("1".equals(request.getParameter("reset"))) {
                heap.peakUsed.set(0);
                heap.peakAfterGc.set(0);
            }
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            response.setContentType("text/plain");
            response.setContentLength(bytes.length);
            response.getOutputStream().write(bytes);
        }
    }
}
