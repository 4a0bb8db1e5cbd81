package org.alipaynotify;

import java.util.Objects;

/**
 * A request that the path stopped: carries the {@link Outcome} and a reason fit for logs (never key material, never
 * the SDK's message, which embeds the signed content and the key).
 */
public final class Refused extends Exception {
    private final Outcome outcome;

    public Refused(Outcome outcome, String reason) {
        this(outcome, reason, null);
    }

    public Refused(Outcome outcome, String reason, Throwable cause) {
        super(reason, cause, false, false);
        this.outcome = Objects.requireNonNull(outcome);
        if (outcome.acknowledged()) {
            throw new IllegalArgumentException("an acknowledged outcome is not a refusal: " + outcome);
        }
    }

    public Outcome outcome() {
        return outcome;
    }

    public String reason() {
        return getMessage();
    }
}
