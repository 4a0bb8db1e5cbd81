package org.alipaynotify.request;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.KeySource;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Step 3, verify: rule V1 with the official SDK ({@code rsaCheckV1}, with the key {@link AlipayKey} took from the
 * certificate or the settings), before anything touches the database.
 *
 * <p>Traps handled here: the 3-argument SDK methods silently use SHA1, so the 4-argument forms always get the
 * configured sign type, and the request's {@code sign_type} never chooses the algorithm (a different one is
 * refused). The SDK removes {@code sign} and {@code sign_type} from the map it is given, so it gets a fresh copy.
 * It throws on an empty or garbled sign: that is a failed verification, and its message (which embeds the signed
 * content and the key) is kept out of INFO logs.
 */
public final class SignatureVerifier {
    private static final Logger LOG = LogManager.getLogger(SignatureVerifier.class);

    private final Supplier<AlipayKey> keys;
    private final String signType;

    public SignatureVerifier(Supplier<AlipayKey> keys, Settings.SignType signType) {
        this.keys = keys;
        this.signType = signType.name();
    }

    public SignatureVerifier(AlipayKey key, Settings.SignType signType) {
        this(KeySource.fixed(key), signType);
    }

    public VerifiedNotification verify(NotifyForm form) throws Refused {
        String sign = form.get("sign");
        if (sign == null || sign.isBlank()) {
            throw new Refused(Outcome.BAD_SIGNATURE, "no sign field");
        }
        String claimed = form.get("sign_type");
        if (claimed != null && !claimed.isEmpty() && !claimed.toUpperCase(Locale.ROOT).equals(signType)) {
            throw new Refused(Outcome.SIGN_TYPE_MISMATCH, "sign_type '" + Text.printable(claimed, 20)
                    + "' differs from the configured " + signType);
        }
        AlipayKey key = keys.get();
        Map<String, String> copy = new HashMap<>(form.fields());
        boolean valid;
        try {
            // In certificate mode too: the key rsaCertCheckV1 would take from the file, taken once (AlipayKey).
            valid = AlipaySignature.rsaCheckV1(copy, key.publicKeyBase64(), form.charsetName(), signType);
        } catch (AlipayApiException e) {
            LOG.debug("SDK refused the signature: {}", e.getMessage());
            throw new Refused(Outcome.BAD_SIGNATURE, "signature could not be checked (" + errCode(e) + ")");
        } catch (RuntimeException e) {
            // Fail closed: whatever the SDK trips over is not a verified notification.
            LOG.debug("SDK failed while verifying", e);
            throw new Refused(Outcome.BAD_SIGNATURE, "signature could not be checked ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (!valid) {
            throw new Refused(Outcome.BAD_SIGNATURE, "signature does not verify with the configured Alipay "
                    + (key.certificate().isPresent() ? "certificate" : "public key"));
        }
        return new VerifiedNotification(form);
    }

    private static String errCode(AlipayApiException e) {
        return e.getErrCode() != null ? "SDK error " + e.getErrCode() : "SDK exception";
    }
}
