package org.alipaynotify.bench;

import com.sun.management.OperatingSystemMXBean;
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
 * The server JVM of the benchmark (started by {@link Benchmark} with the heap limit under test): Jetty 12 with the
 * built WAR at {@code /}, the tutorial handler at {@code /naive}, and {@code /bench/stats} reporting this JVM's heap,
 * GC and CPU, so the figures describe the server alone, not the load generator.
 *
 * <p>Arguments: WAR path, port, certificate path, JDBC URL of the benchmark database. The webapp reads its settings
 * from the system properties the parent passes.
 */
public final class BenchServer {
    private BenchServer() {
    }

    public static void main(String[] args) throws Exception {
        String war = args[0];
        int port = Integer.parseInt(args[1]);
        HeapWatch heap = new HeapWatch();
        heap.start();

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);

        WebAppContext webapp = new WebAppContext();
        webapp.setWar(war);
        webapp.setContextPath("/");
        ServletContextHandler naive = new ServletContextHandler("/naive");
        naive.addServlet(new ServletHolder(new NaiveNotifyServlet(args[2], args[3], "root", "")), "/notify");
        ServletContextHandler stats = new ServletContextHandler("/bench");
        stats.addServlet(new ServletHolder(new StatsServlet(heap)), "/stats");
        server.setHandler(new ContextHandlerCollection(webapp, naive, stats));
        server.start();
        if (webapp.getUnavailableException() != null) {
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
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            String text = "heap_max " + Runtime.getRuntime().maxMemory()
                    + "\nheap_peak_used " + heap.peakUsed.get()
                    + "\nheap_peak_after_gc " + heap.peakAfterGc.get()
                    + "\ngc_count " + gcCount
                    + "\ngc_ms " + gcMs
                    + "\ncpu_ns " + os.getProcessCpuTime() + "\n";
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
