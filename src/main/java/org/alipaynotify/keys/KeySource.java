package org.alipaynotify.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Alipay key in use, with rotation without restart. A watched file (the certificate file in certificate mode, the
 * properties file holding {@code alipay.public-key} in public-key mode) is looked at again, at most once per
 * {@code alipay.cert-reload-seconds}, when a request or the health check needs the key (no background thread, so
 * nothing to leak on undeploy). A changed file is loaded and checked like at start-up; if good it replaces the key
 * (logged at INFO), if bad the previous key stays in use and the error is logged at ERROR and shown by the health
 * check until a good file arrives.
 */
public final class KeySource implements Supplier<AlipayKey> {
    private static final Logger LOG = LogManager.getLogger(KeySource.class);

    private final Path watched;
    private final Function<Path, AlipayKey> loader;
    private final Clock clock;
    private final Duration checkEvery;
    private volatile AlipayKey current;
    private volatile Object stamp;
    private volatile String reloadError;
    private volatile Instant nextCheck;

    /**
     * @param watched the file to look at again, or null for a key that never changes
     * @param loader  loads and checks the key from that file; throws {@link SettingsException} when it cannot be used
     */
    KeySource(AlipayKey initial, Path watched, Function<Path, AlipayKey> loader, Duration checkEvery, Clock clock) {
        this.current = Objects.requireNonNull(initial);
        this.watched = watched;
        this.loader = loader;
        this.checkEvery = checkEvery;
        this.clock = clock;
        this.stamp = watched == null ? null : stampOf(watched);
        this.nextCheck = clock.instant().plus(checkEvery);
    }

    /** The key source an app's settings describe. */
    public static KeySource of(AlipayKey initial, AppSettings app, int reloadSeconds, Clock clock) {
        Duration every = Duration.ofSeconds(reloadSeconds);
        if (initial.origin().isPresent()) {
            String setting = app.key(AppSettings.CERT_PATH);
            return new KeySource(initial, initial.origin().get(),
                    p -> AlipayKey.fromCertificate(setting, p, app.sellerIds(), clock), every, clock);
        }
        if (app.publicKeyFileOf().isPresent()) {
            String setting = app.key(AppSettings.PUBLIC_KEY);
            return new KeySource(initial, app.publicKeyFileOf().get(),
                    p -> AlipayKey.fromPublicKey(setting, Settings.readFromFile(p, setting).orElseThrow(
                            () -> new SettingsException(setting, "is no longer in " + p))), every, clock);
        }
        return fixed(initial);
    }

    /** A source that never reloads (a key given by system property or environment, tests). */
    public static KeySource fixed(AlipayKey key) {
        return new KeySource(key, null, null, Duration.ZERO, Clock.systemUTC());
    }

    @Override
    public AlipayKey get() {
        if (watched != null && !checkEvery.isZero() && !clock.instant().isBefore(nextCheck)) {
            reloadIfChanged();
        }
        return current;
    }

    /** Why the last changed file was refused, or null when the key in use is the one on disk. */
    public String reloadError() {
        return reloadError;
    }

    private synchronized void reloadIfChanged() {
        if (clock.instant().isBefore(nextCheck)) {
            return; // another thread just checked
        }
        nextCheck = clock.instant().plus(checkEvery);
        Object now = stampOf(watched);
        if (Objects.equals(now, stamp)) {
            return;
        }
        stamp = now;
        try {
            AlipayKey fresh = loader.apply(watched);
            reloadError = null;
            if (fresh.sameKeyAs(current)) {
                return; // the file changed, the key did not (another setting was edited)
            }
            current = fresh;
            LOG.info("Alipay key reloaded from {}: {} is now in use", watched, fresh.id());
        } catch (SettingsException e) {
            reloadError = e.getMessage();
            LOG.error("{} changed but its Alipay key cannot be used, so the previous one ({}) stays in use: {}",
                    watched, current.id(), e.getMessage());
        }
    }

    /** Size, modification time and inode (where the file system has one): a replaced file changes at least one. */
    private static Object stampOf(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.size() + "/" + a.lastModifiedTime().toMillis() + "/" + a.fileKey();
        } catch (IOException e) {
            return "unreadable: " + e.getClass().getSimpleName();
        }
    }

}
