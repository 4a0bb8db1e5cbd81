package org.alipaynotify.testsupport;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;

/**
 * Notifications signed by Alipay itself, read from {@code ../shared/test-vectors/alipay-real/} beside the project
 * (or the folder named by {@code ALIPAY_REAL_VECTORS}); never copied into the project. Tests that need them are
 * skipped where the folder is absent, and the run says so once, in a line of its own: a skip counted among
 * hundreds of tests is easy to miss in a clone elsewhere.
 */
public final class RealVectors {
    private static final AtomicBoolean SAID = new AtomicBoolean();

    private RealVectors() {
    }

    public static Path dir(String vector) {
        String configured = System.getenv("ALIPAY_REAL_VECTORS");
        Path root = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.dir")).resolve("../shared/test-vectors/alipay-real").normalize();
        return dir(root, vector, SAID, System.out);
    }

    static Path dir(Path root, String vector, AtomicBoolean said, PrintStream out) {
        Path dir = root.resolve(vector);
        if (!Files.isDirectory(dir) && said.compareAndSet(false, true)) {
            out.println("[alipay-notify tests] SKIPPED: the checks against notifications signed by Alipay itself:"
                    + " no test vectors at " + root.toAbsolutePath().normalize() + " (set ALIPAY_REAL_VECTORS; see"
                    + " README.md, \"Test it\")");
        }
        Assumptions.assumeTrue(Files.isDirectory(dir), "real Alipay test vectors not found at " + dir);
        return dir;
    }

    public static String read(String vector, String file) throws IOException {
        return Files.readString(dir(vector).resolve(file), StandardCharsets.UTF_8).strip();
    }

    public static final String KEY_MODE = "01-key-mode-trade_status_sync";
    public static final String CERT_MODE = "02-cert-mode-trade_status_sync";
    public static final String V2_RULE = "03-v2-rule-servicemarket_order_notify";
    public static final String SYNC_RESPONSE = "04-sync-response-gopay";
}
