package org.alipaynotify.request;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
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

    private final Apps apps;

    public SignatureVerifier(Apps apps) {
        this.apps = apps;
    }

    public VerifiedNotification verify(NotifyForm form) throws Refused {
        App app = appOf(form);
        String signType = app.signType().name();
        String sign = form.get("sign");
        if (sign == null || sign.isBlank()) {
            throw new Refused(Outcome.BAD_SIGNATURE, "no sign field");
        }
        String claimed = form.get("sign_type");
        if (claimed != null && !claimed.isEmpty() && !claimed.toUpperCase(Locale.ROOT).equals(signType)) {
            throw new Refused(Outcome.SIGN_TYPE_MISMATCH, "sign_type '" + Text.printable(claimed, 20)
                    + "' differs from " + signType + ", configured for app " + app.name());
        }
        AlipayKey key = app.key();
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
            throw new Refused(Outcome.BAD_SIGNATURE, "signature does not verify with the Alipay "
                    + (key.certificate().isPresent() ? "certificate" : "public key") + " of app " + app.name());
        }
        return new VerifiedNotification(form, app);
    }

    /**
     * The claimed app_id chooses the key; the signature then proves the claim. With the single-app settings the one
     * key checks every notification (the app id is compared after verification, as the checks always did).
     */
    private App appOf(NotifyForm form) throws Refused {
        App single = apps.single();
        if (single != null) {
            return single;
        }
        String claimed = form.get("app_id");
        if (claimed == null || claimed.isBlank()) {
            throw new Refused(Outcome.MISSING_FIELD, "app_id is missing: it chooses the key among the apps served");
        }
        App app = apps.byAppId(claimed);
        if (app == null) {
            throw new Refused(Outcome.APP_ID_MISMATCH, "app_id " + Text.printable(claimed, 64)
                    + " is not an app served here");
        }
        return app;
    }

    /**
     * The charset of a body without a charset field: that of the app the body claims (the only app with the
     * single-app settings), utf-8 for an app we do not serve (refused as such once parsed).
     *
     * @param claimedAppId the app_id as found in the raw body, or null
     */
    String defaultCharset(String claimedAppId) {
        App single = apps.single();
        App app = single != null ? single : apps.byAppId(claimedAppId);
        return app == null ? FormBodyParser.DEFAULT_CHARSET : app.defaultCharset();
    }

    /** The name of the app whose key checks this form (a claim until verified), or "-" when none would. */
    String appName(NotifyForm form) {
        App single = apps.single();
        App app = single != null ? single : apps.byAppId(form.get("app_id"));
        return app == null ? "-" : app.name();
    }

    private static String errCode(AlipayApiException e) {
        return e.getErrCode() != null ? "SDK error " + e.getErrCode() : "SDK exception";
    }
}
