package org.alipaynotify.request;

import java.util.Map;
import java.util.Set;
import org.alipaynotify.Notification;
import org.alipaynotify.Refused;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.keys.App;

/**
 * For tests of the layers below the request path: turns parameters into the {@link Notification} the checks would
 * make of them, skipping the signature (only test code can reach the verified form's constructor).
 */
public final class CheckedNotifications {
    private final App app;

    public CheckedNotifications(String appId) {
        this.app = App.fixed(appId, Set.of(), Settings.SignType.RSA2, null);
    }

    public Notification of(Map<String, String> params) throws Refused {
        return new BusinessChecker().check(new VerifiedNotification(FormBodyParser.parse(
                AlipaySigner.formBody(params)), app));
    }
}
