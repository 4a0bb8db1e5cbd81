package org.alipaynotify.keys;

import java.util.Set;
import java.util.function.Supplier;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;

/** One Alipay app we serve, with the key in use for it (rotated without restart, see {@link KeySource}). */
public final class App {
    private final String name;
    private final String appId;
    private final Set<String> sellerIds;
    private final Settings.SignType signType;
    private final Supplier<AlipayKey> keys;
    private final String defaultCharset;

    public App(String name, String appId, Set<String> sellerIds, Settings.SignType signType,
            Supplier<AlipayKey> keys) {
        this(name, appId, sellerIds, signType, keys, "utf-8");
    }

    /** @param defaultCharset the charset of this app's notifications that name none (see alipay.default-charset) */
    public App(String name, String appId, Set<String> sellerIds, Settings.SignType signType,
            Supplier<AlipayKey> keys, String defaultCharset) {
        this.name = name;
        this.appId = appId;
        this.sellerIds = Set.copyOf(sellerIds);
        this.signType = signType;
        this.keys = keys;
        this.defaultCharset = defaultCharset;
    }

    /**
     * An app with a key that never changes (tests, benchmarks), named "default" as the single-app settings are; a
     * null key for code that never verifies.
     */
    public static App fixed(String appId, Set<String> sellerIds, Settings.SignType signType, AlipayKey key) {
        return new App("default", appId, sellerIds, signType, key == null ? () -> null : KeySource.fixed(key));
    }

    /** The app as its settings describe it, its key loaded and checked now. */
    public static App load(AppSettings s, int reloadSeconds, java.time.Clock clock) {
        AlipayKey key = AlipayKey.load(s, clock);
        return new App(s.name(), s.appId(), s.sellerIds(), s.signType(), KeySource.of(key, s, reloadSeconds, clock),
                s.defaultCharset());
    }

    /** The name in the settings ({@code default} for the single-app keys): the {@code app} of logs and metrics. */
    public String name() {
        return name;
    }

    public String appId() {
        return appId;
    }

    /** Empty when any seller id is accepted. */
    public Set<String> sellerIds() {
        return sellerIds;
    }

    public Settings.SignType signType() {
        return signType;
    }

    /** The charset of this app's notifications that carry no charset field: they are decoded and verified in it. */
    public String defaultCharset() {
        return defaultCharset;
    }

    public AlipayKey key() {
        return keys.get();
    }

    /** The source of the key, for health (reload errors); a fixed key has none. */
    public KeySource keySource() {
        return keys instanceof KeySource k ? k : null;
    }

    @Override
    public String toString() {
        return name + " (" + appId + ")";
    }
}
