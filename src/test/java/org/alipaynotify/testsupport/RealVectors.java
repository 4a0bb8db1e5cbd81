package org.alipaynotify.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Notifications signed by Alipay itself, read from {@code ../shared/test-vectors/alipay-real/} beside the project
 * (or the folder named by {@code ALIPAY_REAL_VECTORS}); never copied into the project. Tests that need them are
 * skipped, visibly, where the folder is absent.
 */
public final class RealVectors {
    private RealVectors() {
    }

    public static Path dir(String vector) {
        String configured = System.getenv("ALIPAY_REAL_VECTORS");
        Path root = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.dir")).resolve("../shared/test-vectors/alipay-real").normalize();
        Path dir = root.resolve(vector);
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
