package org.alipaynotify.keys;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The apps served at one endpoint. The notification's claimed app_id chooses the key it is checked with; the
 * signature then proves it (a notification signed with app A's key but claiming app B fails with B's key).
 */
public final class Apps {
    private final List<App> all;
    private final Map<String, App> byAppId = new LinkedHashMap<>();

    public Apps(List<App> apps) {
        if (apps.isEmpty()) {
            throw new IllegalArgumentException("no app");
        }
        this.all = List.copyOf(apps);
        for (App a : apps) {
            if (byAppId.put(a.appId(), a) != null) {
                throw new IllegalArgumentException("app id " + a.appId() + " twice");
            }
        }
    }

    public static Apps of(App app) {
        return new Apps(List.of(app));
    }

    public List<App> all() {
        return all;
    }

    /** The app serving this app_id, or null. */
    public App byAppId(String appId) {
        return appId == null ? null : byAppId.get(appId);
    }

    /** The only app when there is one (the single-app settings), else null. */
    public App single() {
        return all.size() == 1 ? all.get(0) : null;
    }
}
