package org.alipaynotify.boot;

/**
 * Start-up must stop for a reason in the database (not a setting): the message is the whole ERROR line after
 * "alipay-notify cannot start: ", so it names the problem and what the operator must do.
 */
final class CannotStart extends RuntimeException {
    CannotStart(String message) {
        super(message);
    }

    CannotStart(String message, Throwable cause) {
        super(message, cause);
    }
}
