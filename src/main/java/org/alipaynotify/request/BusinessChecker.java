package org.alipaynotify.request;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Set;
import java.util.regex.Pattern;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.TradeStatus;
import org.alipaynotify.config.Settings;

/**
 * Step 4, check: the fields Alipay tells merchants to check before trusting a notification, except those that need
 * the order row (out_trade_no exists, total_amount matches), which the ledger checks under the row lock.
 */
public final class BusinessChecker {
    static final String TRADE_STATUS_SYNC = "trade_status_sync";
    private static final Pattern MONEY = Pattern.compile("(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?");
    private static final DateTimeFormatter ALIPAY_TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .toFormatter();

    public BusinessChecker() {
    }

    public Notification check(VerifiedNotification n) throws Refused {
        String notifyType = required(n, "notify_type", 64);
        if (!TRADE_STATUS_SYNC.equals(notifyType)) {
            throw new Refused(Outcome.UNSUPPORTED_NOTIFY_TYPE, "notify_type '" + Text.printable(notifyType, 40)
                    + "' is not " + TRADE_STATUS_SYNC);
        }
        String app = required(n, "app_id", 64);
        String appId = n.app().appId();
        if (!appId.equals(app)) {
            throw new Refused(Outcome.APP_ID_MISMATCH, "app_id " + Text.printable(app, 64)
                    + " is not the configured " + appId);
        }
        Set<String> sellerIds = n.app().sellerIds();
        String seller = optional(n, "seller_id", 32);
        if (!sellerIds.isEmpty()) {
            if (seller == null) {
                throw new Refused(Outcome.MISSING_FIELD, "seller_id is missing and seller ids are configured");
            }
            if (!sellerIds.contains(seller)) {
                throw new Refused(Outcome.SELLER_ID_MISMATCH, "seller_id " + seller + " is not among the seller"
                        + " ids of app " + n.app().name() + " " + sellerIds);
            }
        }
        String status = required(n, "trade_status", 32);
        TradeStatus tradeStatus;
        try {
            tradeStatus = TradeStatus.valueOf(status);
        } catch (IllegalArgumentException e) {
            throw new Refused(Outcome.UNKNOWN_TRADE_STATUS, "trade_status '" + Text.printable(status, 32)
                    + "' is not a known state");
        }
        return new Notification(
                id(required(n, "notify_id", 128), "notify_id"),
                time(n, "notify_time"),
                app,
                id(required(n, "out_trade_no", 64), "out_trade_no"),
                optional(n, "trade_no", 64),
                tradeStatus,
                money(n, "total_amount", true),
                seller,
                optional(n, "buyer_id", 128),
                time(n, "gmt_payment"),
                time(n, "gmt_refund"),
                time(n, "gmt_close"),
                money(n, "refund_fee", false),
                money(n, "receipt_amount", false),
                money(n, "buyer_pay_amount", false),
                optional(n, "out_biz_no", 64),
                n.form().charsetName(),
                n.form().rawBody());
    }

    /**
     * Alipay never sends ids with outer white space, and MySQL/MariaDB compare VARCHARs with PAD SPACE: 'X ' would find
     * order 'X', and notify_id 'N ' would collide with 'N'. Such an id is refused rather than matched loosely.
     */
    private static String id(String value, String key) throws Refused {
        if (!value.equals(value.strip())) {
            throw new Refused(Outcome.INVALID_FIELD, key + " '" + Text.printable(value, 64)
                    + "' has leading or trailing white space");
        }
        return value;
    }

    private static String required(VerifiedNotification n, String key, int maxLength) throws Refused {
        String v = optional(n, key, maxLength);
        if (v == null) {
            throw new Refused(Outcome.MISSING_FIELD, key + " is missing");
        }
        return v;
    }

    /** Empty counts as absent: the V1 rule leaves empty values out of the signed content too. */
    private static String optional(VerifiedNotification n, String key, int maxLength) throws Refused {
        String v = n.get(key);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.length() > maxLength) {
            throw new Refused(Outcome.INVALID_FIELD, key + " is longer than " + maxLength + " characters");
        }
        return v;
    }

    private static BigDecimal money(VerifiedNotification n, String key, boolean required) throws Refused {
        String v = required ? required(n, key, 16) : optional(n, key, 16);
        if (v == null) {
            return null;
        }
        if (!MONEY.matcher(v).matches()) {
            throw new Refused(Outcome.INVALID_FIELD, key + " '" + Text.printable(v, 16)
                    + "' is not an amount in yuan with at most 2 decimals");
        }
        return new BigDecimal(v);
    }

    private static LocalDateTime time(VerifiedNotification n, String key) throws Refused {
        String v = optional(n, key, 32);
        if (v == null) {
            return null;
        }
        try {
            return LocalDateTime.parse(v, ALIPAY_TIME);
        } catch (DateTimeParseException e) {
            throw new Refused(Outcome.INVALID_FIELD, key + " '" + Text.printable(v, 32)
                    + "' is not a time like 2024-01-31 23:59:59");
        }
    }
}
