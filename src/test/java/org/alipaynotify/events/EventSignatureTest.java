package org.alipaynotify.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class EventSignatureTest {
    static final byte[] SECRET = "whsec-test-0123456789abcdef0123456789".getBytes(StandardCharsets.UTF_8);
    static final byte[] BODY = "{\"id\":\"e1\",\"type\":\"PAID\",\"total_amount\":\"88.80\"}"
            .getBytes(StandardCharsets.UTF_8);
    static final Instant AT = Instant.parse("2026-12-02T03:00:00Z");

    @Test
    void theHeaderIsTheDocumentedHmacOverTimestampDotBody() throws Exception {
        // the algorithm in README's words, computed independently
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal(
                (AT.getEpochSecond() + "." + new String(BODY, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        assertEquals("t=" + AT.getEpochSecond() + ",v1=" + expected, EventSignature.header(SECRET, AT, BODY));
    }

    @Test
    void aGoodSignatureWithinTheToleranceVerifies() throws Exception {
        String header = EventSignature.header(SECRET, AT, BODY);
        assertEquals(AT, EventSignature.verify(SECRET, header, BODY, Duration.ofMinutes(5), AT.plusSeconds(299)));
        // a receiver rotating secrets may get several v1 entries: one match is enough
        String two = header + ",v1=" + "00".repeat(32);
        assertEquals(AT, EventSignature.verify(SECRET, two, BODY, Duration.ofMinutes(5), AT));
    }

    @Test
    void aChangedBodyAnotherSecretAReplayOrGarbageIsRefusedWithItsReason() {
        String header = EventSignature.header(SECRET, AT, BODY);
        byte[] changed = new String(BODY, StandardCharsets.UTF_8).replace("88.80", "8.80")
                .getBytes(StandardCharsets.UTF_8);
        assertTrue(refused(header, changed, AT).contains("no v1 signature matches"));
        assertTrue(assertThrows(EventSignature.Invalid.class, () -> EventSignature.verify(
                "another-secret-of-enough-length-0000".getBytes(StandardCharsets.UTF_8), header, BODY,
                Duration.ofMinutes(5), AT)).getMessage().contains("no v1 signature"));
        assertTrue(refused(header, BODY, AT.plusSeconds(301)).contains("outside the tolerance"), "a replay later");
        assertTrue(refused(header, BODY, AT.minusSeconds(301)).contains("outside the tolerance"));
        assertTrue(refused(null, BODY, AT).contains("no Alipay-Notify-Signature"));
        assertTrue(refused("v1=abc", BODY, AT).contains("no timestamp"));
        assertTrue(refused("t=x,v1=abc", BODY, AT).contains("not a number"));
        assertTrue(refused("t=" + AT.getEpochSecond() + ",v1=zz", BODY, AT).contains("no v1 signature"));
        // the timestamp is signed too: moving it forward breaks the signature
        String moved = header.replace("t=" + AT.getEpochSecond(), "t=" + (AT.getEpochSecond() + 600));
        assertTrue(refused(moved, BODY, AT.plusSeconds(600)).contains("no v1 signature"));
    }

    private static String refused(String header, byte[] body, Instant now) {
        return assertThrows(EventSignature.Invalid.class,
                () -> EventSignature.verify(SECRET, header, body, Duration.ofMinutes(5), now)).getMessage();
    }
}
