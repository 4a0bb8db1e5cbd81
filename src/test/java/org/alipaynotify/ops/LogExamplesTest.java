package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.CloseableThreadContext;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationFactory;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The production log4j2 examples in examples/ load and write what README.md says they write. */
class LogExamplesTest {
    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty("alipay-notify.log-dir");
    }

    /** Logs one notification line the way NotifyServlet does, through the example configuration. */
    List<String> logWith(String example, String file) throws Exception {
        System.setProperty("alipay-notify.log-dir", dir.toString());
        LoggerContext ctx = new LoggerContext("example-" + example);
        Configuration config = ConfigurationFactory.getInstance().getConfiguration(ctx,
                ConfigurationSource.fromUri(Path.of("examples", example).toUri()));
        ctx.start(config);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("notify_id", "2026112500222000001");
        fields.put("out_trade_no", "demo-0001");
        fields.put("outcome", "APPLIED");
        fields.put("elapsed_ms", "7");
        try (CloseableThreadContext.Instance ignored = CloseableThreadContext.putAll(fields)) {
            ctx.getLogger("org.alipaynotify.notify").info("notify_id=2026112500222000001 out_trade_no=demo-0001"
                    + " outcome=APPLIED");
        }
        ctx.getLogger("org.alipaynotify.boot.Bootstrap").info("alipay-notify ready");
        ctx.stop();
        return Files.readAllLines(dir.resolve(file), StandardCharsets.UTF_8);
    }

    @Test
    void rollingFilesSeparateTheNotificationTrail() throws Exception {
        List<String> trail = logWith("log4j2-rolling.xml", "notifications.log");
        assertEquals(1, trail.size(), trail.toString());
        assertTrue(trail.get(0).contains("INFO") && trail.get(0).contains("outcome=APPLIED"), trail.get(0));
        List<String> app = Files.readAllLines(dir.resolve("alipay-notify.log"));
        assertEquals(1, app.size(), "the INFO notification line stays out of the main log: " + app);
        assertTrue(app.get(0).contains("alipay-notify ready"));
    }

    @Test
    void jsonLinesCarryTheNotificationFields() throws Exception {
        List<String> lines = logWith("log4j2-json.xml", "alipay-notify.json");
        assertEquals(2, lines.size(), lines.toString());
        String line = lines.get(0);
        assertTrue(line.startsWith("{") && line.endsWith("}"), line);
        assertTrue(line.contains("\"notify_id\":\"2026112500222000001\""), line);
        assertTrue(line.contains("\"out_trade_no\":\"demo-0001\""), line);
        assertTrue(line.contains("\"outcome\":\"APPLIED\""), line);
        assertTrue(line.contains("\"elapsed_ms\":\"7\""), line);
        assertTrue(line.contains("\"log.level\":\"INFO\""), line);
    }
}
