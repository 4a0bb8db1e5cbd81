package org.alipaynotify.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key rotation without restart, with a clock the test moves. */
class KeySourceTest {
    @TempDir
    Path dir;

    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-25T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    Settings settingsFrom(Path file) {
        return Settings.load(Map.of(Settings.CONFIG_FILE, file.toString()), Map.of());
    }

    void writeConfig(Path file, String publicKey, String extra) throws Exception {
        Files.writeString(file, "alipay.app-id=2021000000000001\ndb.url=jdbc:mysql://127.0.0.1/x\n"
                + "alipay.cert-reload-seconds=5\nalipay.public-key=" + publicKey + "\n" + extra);
    }

    @Test
    void aNewPublicKeyInThePropertiesFileIsTakenUpAfterTheInterval() throws Exception {
        MovableClock clock = new MovableClock();
        Path file = dir.resolve("alipay-notify.properties");
        SandboxKeys a = SandboxKeys.generate();
        SandboxKeys b = SandboxKeys.generate();
        writeConfig(file, a.publicKeyBase64(), "");
        Settings settings = settingsFrom(file);
        KeySource keys = KeySource.of(AlipayKey.load(settings.apps().get(0), clock), settings.apps().get(0),
                settings.certReloadSeconds(), clock);
        String idA = keys.get().id();

        writeConfig(file, b.publicKeyBase64(), "# rotated\n");
        assertEquals(idA, keys.get().id(), "not before the interval");
        clock.advance(Duration.ofSeconds(5));
        String idB = keys.get().id();
        assertNotEquals(idA, idB);
        assertEquals(b.publicKeyBase64(), keys.get().publicKeyBase64());
        assertNull(keys.reloadError());

        writeConfig(file, "not-a-key", "");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(idB, keys.get().id(), "a bad key keeps the previous one");
        assertTrue(keys.reloadError().contains("alipay.public-key"), keys.reloadError());

        writeConfig(file, b.publicKeyBase64(), "db.pool-size=20\n");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(idB, keys.get().id());
        assertNull(keys.reloadError(), "a good file clears the error");
    }

    @Test
    void aKeyFromAnEnvironmentVariableNeverReloads() {
        SandboxKeys a = SandboxKeys.generate();
        Settings settings = Settings.load(Map.of(), Map.of("ALIPAY_NOTIFY_APP_ID", "2021000000000001",
                "ALIPAY_NOTIFY_PUBLIC_KEY", a.publicKeyBase64(), "ALIPAY_NOTIFY_DB_URL", "jdbc:mysql://127.0.0.1/x"));
        assertTrue(settings.apps().get(0).publicKeyFileOf().isEmpty());
    }

    @Test
    void aReplacedCertificateIsTakenUpAndABadOneRefused() throws Exception {
        MovableClock clock = new MovableClock();
        SandboxKeys a = SandboxKeys.generate();
        SandboxKeys b = SandboxKeys.generate();
        Path cert = a.writeCertificate(dir.resolve("alipayCertPublicKey_RSA2.crt"));
        Settings settings = Settings.load(Map.of(Settings.APP_ID, "2021000000000001", Settings.CERT_PATH,
                cert.toString(), Settings.DB_URL, "jdbc:mysql://127.0.0.1/x"), Map.of());
        KeySource keys = KeySource.of(AlipayKey.load(settings.apps().get(0), clock), settings.apps().get(0),
                settings.certReloadSeconds(), clock);
        assertEquals(a.publicKeyBase64(), keys.get().publicKeyBase64());
        b.writeCertificate(cert);
        clock.advance(Duration.ofSeconds(10));
        assertEquals(b.certificate(), keys.get().certificate().orElseThrow());
        assertEquals(b.publicKeyBase64(), keys.get().publicKeyBase64(), "verification uses the new key");
        Files.writeString(cert, "garbage");
        clock.advance(Duration.ofSeconds(10));
        assertEquals(b.certificate(), keys.get().certificate().orElseThrow());
        assertEquals(b.publicKeyBase64(), keys.get().publicKeyBase64(), "the last good key stays in use");
        assertTrue(keys.reloadError().contains("alipay.cert-path"), keys.reloadError());
    }
}
