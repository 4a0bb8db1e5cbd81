package org.alipaynotify;

/**
 * A form whose signature verified with Alipay's key. Only {@link SignatureVerifier} makes one, so code that takes
 * this type cannot be handed unverified fields.
 */
public final class VerifiedNotification {
    private final NotifyForm form;

    VerifiedNotification(NotifyForm form) {
        this.form = form;
    }

    public NotifyForm form() {
        return form;
    }

    public String get(String key) {
        return form.get(key);
    }
}
