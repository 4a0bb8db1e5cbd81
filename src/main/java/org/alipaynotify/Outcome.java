package org.alipaynotify;

/**
 * Every way one request can end. The answer body is {@code success} only for the outcomes that are acknowledged after
 * a commit; everything else answers {@code failure} so that Alipay delivers again.
 *
 * <p>4xx: the request can never succeed as sent (except {@link #UNKNOWN_ORDER} and {@link #AMOUNT_MISMATCH}, which
 * may succeed on a later delivery once the order exists or its amount was corrected; both are signed, so the ledger
 * records them durably from the first delivery on). 5xx: our own trouble; Alipay's retries will bring the notification back.
 */
public enum Outcome {
    /** The order moved to a later state. */
    APPLIED(200),
    /** The order's state stayed; a larger cumulative refund was recorded. */
    REFUND_RECORDED(200),
    /** The buyer paid an order that was closed without a payment on record: applied and flagged for attention. */
    LATE_PAYMENT(200),
    /** An older or equal state (late, out of order): acknowledged, state unchanged. */
    NO_CHANGE(200),
    /** This notify_id was already applied: acknowledged, nothing changed. */
    DUPLICATE(200),
    /**
     * A trade other than the one that paid the order (another trade_no for the same out_trade_no): recorded, the
     * order unchanged but flagged when that trade moved money (a double payment someone must refund).
     */
    SECOND_TRADE(200),

    METHOD_NOT_ALLOWED(405),
    UNSUPPORTED_MEDIA_TYPE(415),
    BODY_TOO_LARGE(413),
    MALFORMED_BODY(400),
    UNSUPPORTED_CHARSET(400),
    SIGN_TYPE_MISMATCH(400),
    BAD_SIGNATURE(403),
    MISSING_FIELD(400),
    INVALID_FIELD(400),
    APP_ID_MISMATCH(403),
    SELLER_ID_MISMATCH(403),
    UNSUPPORTED_NOTIFY_TYPE(400),
    UNKNOWN_TRADE_STATUS(400),
    /** Signed, for no order we have: kept in alipay_notify_unmatched; answered failure, so Alipay redelivers. */
    UNKNOWN_ORDER(404),
    /** Signed, for our order but another amount: money moved. Recorded, the order flagged, answered failure. */
    AMOUNT_MISMATCH(409),

    DATABASE_ERROR(503),
    /**
     * A statement of the merchant's (order.on-*-sql) failed, or changed no row with order.on-zero-rows=fail: nothing
     * was committed, Alipay retries.
     */
    REACTION_FAILED(503),
    INTERNAL_ERROR(500);

    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";

    private final int httpStatus;

    Outcome(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** True when the notification is committed (or was already) and Alipay may stop delivering it. */
    public boolean acknowledged() {
        return httpStatus == 200;
    }

    public String answer() {
        return acknowledged() ? SUCCESS : FAILURE;
    }

    /** The group this outcome is counted in by the metrics (see README.md, "Metrics"). */
    public String category() {
        switch (this) {
            case APPLIED:
            case REFUND_RECORDED:
            case NO_CHANGE:
                return "accepted";
            case DUPLICATE:
                return "duplicate";
            case LATE_PAYMENT:
                return "late_payment";
            case SECOND_TRADE:
                return "second_trade";
            case BAD_SIGNATURE:
            case SIGN_TYPE_MISMATCH:
                return "bad_signature";
            case APP_ID_MISMATCH:
            case SELLER_ID_MISMATCH:
            case AMOUNT_MISMATCH:
                return "business_mismatch";
            case UNKNOWN_ORDER:
                return "unknown_order";
            case DATABASE_ERROR:
                return "database_error";
            case REACTION_FAILED:
                return "reaction_failed";
            case INTERNAL_ERROR:
                return "internal_error";
            default:
                return "refused_input";
        }
    }
}
