package org.alipaynotify.request;

import java.util.Map;
import java.util.Set;
import org.alipaynotify.Notification;
import org.alipaynotify.Refused;
import org.alipaynotify.dev.AlipaySigner;

/**
 * For tests of the layers below the request path: turns parameters into the {@link Notification} the checks would
 * make of them, skipping the signature (only test code can reach the verified form's constructor).
 */
public final class CheckedNotifications {
    private final BusinessChecker checker;

    public CheckedNotifications(String appId) {
        this.checker = new BusinessChecker(appId, Set.of());
    }

    public Notification of(Map<String, String> params) throws Refused {
        return checker.check(new VerifiedNotification(FormBodyParser.parse(AlipaySigner.formBody(params))));
    }
}
