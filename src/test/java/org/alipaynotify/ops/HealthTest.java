package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.alipaynotify.config.Settings;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.App;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.KeySource;
import org.junit.jupiter.api.Test;

class HealthTest {
    static Apps keys() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.PUBLIC_KEY, SandboxKeys.generate().publicKeyBase64());
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/x");
        return Apps.of(App.load(Settings.load(sys, Map.of()).apps().get(0), 0, Clock.systemUTC()));
    }

    @Test
    void anUnreachableDatabaseIsDown() throws Exception {
        DataSource down = mock(DataSource.class);
        when(down.getConnection()).thenThrow(new SQLException("Communications link failure"));
        try (Health health = new Health(down, keys(), Clock.systemUTC())) {
            Health.Report r = health.check("https", "10.0.0.1");
            assertFalse(r.up());
            assertTrue(r.json().contains("\"status\":\"DOWN\""), r.json());
            assertTrue(r.json().contains("Communications link failure"), r.json());
        }
    }

    @Test
    void aHungDatabaseIsDownWithinTheTimeout() throws Exception {
        DataSource hung = mock(DataSource.class);
        when(hung.getConnection()).thenAnswer(i -> {
            Thread.sleep(30_000);
            return null;
        });
        try (Health health = new Health(hung, keys(), Clock.systemUTC())) {
            long started = System.nanoTime();
            Health.Report r = health.check("https", "10.0.0.1");
            long ms = (System.nanoTime() - started) / 1_000_000;
            assertFalse(r.up());
            assertTrue(ms < Health.DB_TIMEOUT_MS + 1_000, "answered in " + ms + " ms");
            assertTrue(r.json().contains("no answer within"), r.json());
            assertTrue(r.json().contains("\"public_key\""), r.json());
        }
    }

    /** The keys of a JSON text in the order they appear, nested ones included. */
    private static java.util.List<String> keys(String json) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"([a-z_]+)\":").matcher(json);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    @Test
    void theReadmesHealthExampleIsWhatTheWebappAnswers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int section = readme.indexOf("\n### Health\n");
        int start = readme.indexOf("```json\n", section) + "```json\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.CERT_PATH, SandboxKeys.generate().writeCertificate(dir.resolve("alipay.crt")).toString());
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/x");
        Apps certificateMode = Apps.of(App.load(Settings.load(sys, Map.of()).apps().get(0), 0, Clock.systemUTC()));
        DataSource down = mock(DataSource.class);
        when(down.getConnection()).thenThrow(new SQLException("unused"));
        String answer;
        try (Health health = new Health(down, certificateMode, Clock.systemUTC())) {
            health.silence(new Silence(down, certificateMode, 30, false, Clock.systemUTC(), Silence.INTERVAL));
            answer = health.check("https", "203.0.113.7").json();
        }
        java.util.List<String> answered = new java.util.ArrayList<>(keys(answer));
        answered.remove("error"); // only when DOWN; the example is UP
        assertEquals(answered, keys(example), "README.md's health example has other fields than\n" + answer);
        assertTrue(example.contains("\"version\":\"" + Health.VERSION + "\""), "README.md shows another version"
                + " than " + Health.VERSION + ":\n" + example);
    }
}
