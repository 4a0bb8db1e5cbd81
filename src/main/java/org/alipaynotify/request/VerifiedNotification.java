package org.alipaynotify.request;

import org.alipaynotify.keys.App;

/**
 * A form whose signature verified with Alipay's key. Only {@link SignatureVerifier} makes one, so code that takes
 * this type cannot be handed unverified fields.
 */
public final class VerifiedNotification {
    private final NotifyForm form;
    private final App app;

    VerifiedNotification(NotifyForm form, App app) {
        this.form = form;
        this.app = app;
    }

    public NotifyForm form() {
        return form;
    }

    /** The app whose key verified it. */
    public App app() {
        return app;
    }

    /**
     * The value of a field the signature covers, or null. Rule V1 (the SDK, and Alipay) leaves out of the signed
     * content every field whose value is empty or white space only, so such a field may have been added by anyone:
     * it counts as absent. (Found by SignedNotifyPathFuzzTest: a blank out_biz_no added after signing reached the
     * ledger.)
     */
    public String get(String key) {
        String value = form.get(key);
        return value == null || value.isBlank() ? null : value;
    }
}
