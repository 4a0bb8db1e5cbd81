package org.alipaynotify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Alipay key in use. In certificate mode the configured file is looked at again, at most once per
 * {@code alipay.cert-reload-seconds}, when a request or the health check needs the key (no background thread, so
 * nothing to leak on undeploy). A changed file is loaded and checked like at start-up; if good it replaces the key
 * (logged at INFO), if bad the previous key stays in use and the error is logged at ERROR and shown by the health
 * check until a good file arrives. The SDK is always handed a private snapshot of a file that passed the checks.
 */
final class KeySource implements Supplier<AlipayKey>, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(KeySource.class);

    private final Set<String> sellerIds;
    private final Clock clock;
    private final Duration checkEvery;
    private volatile AlipayKey current;
    private volatile AlipayKey previous;
    private volatile Object stamp;
    private volatile String reloadError;
    private volatile Instant nextCheck;

    KeySource(AlipayKey initial, Set<String> sellerIds, Duration checkEvery, Clock clock) {
        this.current = Objects.requireNonNull(initial);
        this.sellerIds = sellerIds;
        this.checkEvery = checkEvery;
        this.clock = clock;
        this.stamp = initial.origin().map(KeySource::stampOf).orElse(null);
        this.nextCheck = clock.instant().plus(checkEvery);
    }

    /** A source that never reloads (public-key mode, tests). */
    static KeySource fixed(AlipayKey key) {
        return new KeySource(key, Set.of(), Duration.ZERO, Clock.systemUTC());
    }

    @Override
    public AlipayKey get() {
        AlipayKey key = current;
        if (key.origin().isPresent() && !checkEvery.isZero() && !clock.instant().isBefore(nextCheck)) {
            reloadIfChanged();
        }
        return current;
    }

    /** Why the last changed file was refused, or null when the file in use is the file on disk. */
    String reloadError() {
        return reloadError;
    }

    private synchronized void reloadIfChanged() {
        if (clock.instant().isBefore(nextCheck)) {
            return; // another thread just checked
        }
        nextCheck = clock.instant().plus(checkEvery);
        Path origin = current.origin().orElseThrow();
        Object now = stampOf(origin);
        if (Objects.equals(now, stamp)) {
            return;
        }
        stamp = now;
        try {
            AlipayKey fresh = AlipayKey.fromCertificate(origin, sellerIds, clock);
            AlipayKey old = previous;
            previous = current;
            current = fresh;
            reloadError = null;
            if (old != null) {
                old.discard(); // two generations kept: a request may still be reading the one just replaced
            }
            LOG.info("Alipay certificate {} reloaded: serial {} is now in use", origin,
                    fresh.certificate().orElseThrow().getSerialNumber().toString(16));
        } catch (SettingsException e) {
            reloadError = e.getMessage();
            LOG.error("Alipay certificate {} changed but cannot be used, so the previous one (serial {}) stays in use:"
                    + " {}", origin, current.certificate().orElseThrow().getSerialNumber().toString(16),
                    e.getMessage());
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

    @Override
    public void close() {
        current.discard();
        if (previous != null) {
            previous.discard();
        }
    }
}
