package org.alipaynotify.request;

/**
 * A token bucket: {@code perSecond} permits a second, up to two seconds' worth saved for a burst. Lock-light: one
 * short synchronized block per call, no thread of its own.
 */
final class RateLimit {
    private static final long NANOS = 1_000_000_000L;

    private final long perSecond;
    private final double capacity;
    private double tokens;
    private long last;
    private boolean started;

    RateLimit(long perSecond) {
        this.perSecond = perSecond;
        this.capacity = 2.0 * perSecond;
        this.tokens = capacity;
    }

    /** @param now {@link System#nanoTime()} */
    synchronized boolean tryAcquire(long now) {
        if (perSecond <= 0) {
            return false;
        }
        if (started) {
            tokens = Math.min(capacity, tokens + (now - last) * (double) perSecond / NANOS);
        }
        started = true;
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
