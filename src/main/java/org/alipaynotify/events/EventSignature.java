package org.alipaynotify.events;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of an event we send, in the header {@value #HEADER}: {@code t=<unix seconds>,v1=<hex>} where the hex is
 * HMAC-SHA256, keyed with {@code events.secret}, over the timestamp, a dot and the exact body bytes (Stripe's webhook
 * scheme). A receiver recomputes it, compares in constant time and refuses a timestamp outside its tolerance, so a
 * captured event cannot be replayed later. README, "Receiving events", has the same in words and for any language.
 */
public final class EventSignature {
    public static final String HEADER = "Alipay-Notify-Signature";
    /** Five minutes: what receivers should allow for clock skew and delivery time. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private EventSignature() {
    }

    /** Why a signature was not accepted. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    public static String header(byte[] secret, Instant at, byte[] body) {
        long t = at.getEpochSecond();
        return "t=" + t + ",v1=" + HexFormat.of().formatHex(hmac(secret, t, body));
    }

    /**
     * Verifies a header against the body; returns the signed time or throws {@link Invalid} with the reason.
     */
    public static Instant verify(byte[] secret, String header, byte[] body, Duration tolerance, Instant now)
            throws Invalid {
        if (header == null || header.isBlank()) {
            throw new Invalid("no " + HEADER + " header");
        }
        Long t = null;
        byte[] expected = null;
        boolean matched = false;
        for (String part : header.split(",")) {
            String p = part.strip();
            if (p.startsWith("t=")) {
                try {
                    t = Long.parseLong(p.substring(2));
                } catch (NumberFormatException e) {
                    throw new Invalid("timestamp is not a number");
                }
            }
        }
        if (t == null) {
            throw new Invalid("no timestamp");
        }
        expected = hmac(secret, t, body);
        for (String part : header.split(",")) {
            String p = part.strip();
            if (p.startsWith("v1=")) {
                try {
                    matched |= MessageDigest.isEqual(expected, HexFormat.of().parseHex(p.substring(3)));
                } catch (IllegalArgumentException e) {
                    // not hex: not a match
                }
            }
        }
        if (!matched) {
            throw new Invalid("no v1 signature matches the body");
        }
        Instant signed = Instant.ofEpochSecond(t);
        if (Duration.between(signed, now).abs().compareTo(tolerance) > 0) {
            throw new Invalid("timestamp " + signed + " is outside the tolerance of " + tolerance);
        }
        return signed;
    }

    private static byte[] hmac(byte[] secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
