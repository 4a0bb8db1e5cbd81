package org.alipaynotify.bench;

import java.util.Arrays;

/** Per-operation times of one measured phase and the phase's wall time, in nanoseconds. */
final class Latencies {
    private final long[] sorted;
    private final long wallNanos;

    Latencies(long[] nanos, long wallNanos) {
        this.sorted = nanos.clone();
        Arrays.sort(this.sorted);
        this.wallNanos = wallNanos;
    }

    /** Every time, in nanoseconds (sorted): lets several runs at once be merged into one. */
    long[] nanos() {
        return sorted.clone();
    }

    int count() {
        return sorted.length;
    }

    double perSecond() {
        return sorted.length / (wallNanos / 1e9);
    }

    double wallSeconds() {
        return wallNanos / 1e9;
    }

    /** Nearest-rank percentile, in milliseconds. */
    double percentileMs(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    double meanMs() {
        double sum = 0;
        for (long n : sorted) {
            sum += n;
        }
        return sum / sorted.length / 1e6;
    }

    double sumSeconds() {
        return meanMs() * sorted.length / 1e3;
    }
}
