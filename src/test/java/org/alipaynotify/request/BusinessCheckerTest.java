package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.config.Settings;
import org.alipaynotify.keys.App;
import org.alipaynotify.TradeStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BusinessCheckerTest {
    private static final String APP_ID = "2021000000000001";
    private static final String SELLER = "2088000000000001";
    private static final App ANY_SELLER = App.fixed(APP_ID, Set.of(), Settings.SignType.RSA2, null);
    private static final App ONE_SELLER = App.fixed(APP_ID, Set.of(SELLER), Settings.SignType.RSA2, null);
    private static final BusinessChecker CHECKER = new BusinessChecker();

    /** The checks as they run for a notification that the app's key verified. */
    private static Notification check(App app, VerifiedNotification v) throws Refused {
        return CHECKER.check(new VerifiedNotification(v.form(), app));
    }

    /** A complete TRADE_SUCCESS notification, as a mutable map in Alipay's field order. */
    private static Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("notify_time", "2024-01-02 03:04:10");
        f.put("notify_type", "trade_status_sync");
        f.put("notify_id", "ac05099524730693a8b330c5ecf72da9786");
        f.put("charset", "utf-8");
        f.put("version", "1.0");
        f.put("sign_type", "RSA2");
        f.put("sign", "abc==");
        f.put("app_id", APP_ID);
        f.put("trade_no", "2024010222001400001234567890");
        f.put("out_trade_no", "order-1");
        f.put("out_biz_no", "refund-1");
        f.put("buyer_id", "2088102000000001");
        f.put("seller_id", SELLER);
        f.put("trade_status", "TRADE_SUCCESS");
        f.put("total_amount", "88.80");
        f.put("receipt_amount", "88.00");
        f.put("buyer_pay_amount", "87.50");
        f.put("refund_fee", "10.00");
        f.put("gmt_payment", "2024-01-02 03:04:05");
        f.put("gmt_refund", "2024-01-02 03:04:05.123");
        f.put("gmt_close", "2024-01-03 00:00:00");
        return f;
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> f = fields();
        f.put(key, value);
        return f;
    }

    private static Map<String, String> without(String key) {
        Map<String, String> f = fields();
        f.remove(key);
        return f;
    }

    private static VerifiedNotification verified(Map<String, String> fields) {
        StringBuilder body = new StringBuilder();
        fields.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&").append(k).append('=').append(v));
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        return new VerifiedNotification(new NotifyForm(Map.copyOf(fields), "utf-8", StandardCharsets.UTF_8, bytes),
                ONE_SELLER);
    }

    private static Outcome refusal(App app, Map<String, String> fields) {
        return assertThrows(Refused.class, () -> check(app, verified(fields))).outcome();
    }

    private static Outcome refusal(Map<String, String> fields) {
        return refusal(ONE_SELLER, fields);
    }

    @Test
    void mapsEveryField() throws Refused {
        VerifiedNotification v = verified(fields());

        Notification n = check(ONE_SELLER, v);

        assertAll(
                () -> assertEquals("ac05099524730693a8b330c5ecf72da9786", n.notifyId()),
                () -> assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 10), n.notifyTime()),
                () -> assertEquals("order-1", n.outTradeNo()),
                () -> assertEquals("2024010222001400001234567890", n.tradeNo()),
                () -> assertEquals(TradeStatus.TRADE_SUCCESS, n.tradeStatus()),
                () -> assertEquals(new BigDecimal("88.80"), n.totalAmount()),
                () -> assertEquals(SELLER, n.sellerId()),
                () -> assertEquals("2088102000000001", n.buyerId()),
                () -> assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5), n.gmtPayment()),
                () -> assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_000_000), n.gmtRefund()),
                () -> assertEquals(LocalDateTime.of(2024, 1, 3, 0, 0, 0), n.gmtClose()),
                () -> assertEquals(new BigDecimal("10.00"), n.refundFee()),
                () -> assertEquals(new BigDecimal("88.00"), n.receiptAmount()),
                () -> assertEquals(new BigDecimal("87.50"), n.buyerPayAmount()),
                () -> assertEquals("refund-1", n.outBizNo()),
                () -> assertEquals("utf-8", n.charsetName()),
                () -> assertArrayEquals(v.form().rawBody(), n.rawBody()));
    }

    @Test
    void onlyTheRequiredFieldsAreNeeded() throws Refused {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("notify_type", "trade_status_sync");
        f.put("notify_id", "n-1");
        f.put("app_id", APP_ID);
        f.put("out_trade_no", "order-1");
        f.put("trade_status", "WAIT_BUYER_PAY");
        f.put("total_amount", "1");

        Notification n = check(ANY_SELLER, verified(f));

        assertEquals(TradeStatus.WAIT_BUYER_PAY, n.tradeStatus());
        assertEquals(new BigDecimal("1"), n.totalAmount());
        assertAll(
                () -> assertNull(n.notifyTime()),
                () -> assertNull(n.tradeNo()),
                () -> assertNull(n.sellerId()),
                () -> assertNull(n.buyerId()),
                () -> assertNull(n.gmtPayment()),
                () -> assertNull(n.gmtRefund()),
                () -> assertNull(n.gmtClose()),
                () -> assertNull(n.refundFee()),
                () -> assertNull(n.receiptAmount()),
                () -> assertNull(n.buyerPayAmount()),
                () -> assertNull(n.outBizNo()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED"})
    void acceptsEveryKnownTradeStatus(String status) throws Refused {
        assertEquals(TradeStatus.valueOf(status), check(ONE_SELLER, verified(with("trade_status", status))).tradeStatus());
    }

    @Test
    void foreignAppIdIsRefused() {
        assertEquals(Outcome.APP_ID_MISMATCH, refusal(with("app_id", "2021000000009999")));
    }

    @Test
    void foreignSellerIdIsRefusedWhenSellerIdsAreConfigured() {
        assertEquals(Outcome.SELLER_ID_MISMATCH, refusal(with("seller_id", "2088000000009999")));
    }

    @Test
    void anySellerIdIsAcceptedWhenNoneIsConfigured() throws Refused {
        Notification n = check(ANY_SELLER, verified(with("seller_id", "2088000000009999")));

        assertEquals("2088000000009999", n.sellerId());
    }

    @Test
    void anyOfSeveralConfiguredSellerIdsIsAccepted() throws Refused {
        App two = App.fixed(APP_ID, Set.of(SELLER, "2088000000000002"), Settings.SignType.RSA2, null);

        assertEquals("2088000000000002", check(two, verified(with("seller_id", "2088000000000002"))).sellerId());
    }

    @Test
    void missingSellerIdIsRefusedWhenSellerIdsAreConfigured() {
        assertEquals(Outcome.MISSING_FIELD, refusal(without("seller_id")));
        assertEquals(Outcome.MISSING_FIELD, refusal(with("seller_id", "")));
    }

    @Test
    void missingSellerIdIsAcceptedWhenNoneIsConfigured() throws Refused {
        assertNull(check(ANY_SELLER, verified(without("seller_id"))).sellerId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch_trans_notify", "TRADE_STATUS_SYNC", "trade_status_sync "})
    void otherNotifyTypesAreRefused(String type) {
        assertEquals(Outcome.UNSUPPORTED_NOTIFY_TYPE, refusal(with("notify_type", type)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRADE_PENDING", "trade_success", "SUCCESS"})
    void unknownTradeStatusIsRefused(String status) {
        assertEquals(Outcome.UNKNOWN_TRADE_STATUS, refusal(with("trade_status", status)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"notify_id", "out_trade_no", "total_amount", "trade_status", "app_id", "notify_type"})
    void missingRequiredFieldIsRefused(String key) {
        assertEquals(Outcome.MISSING_FIELD, refusal(without(key)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"notify_id", "out_trade_no", "total_amount"})
    void emptyRequiredFieldCountsAsMissing(String key) {
        assertEquals(Outcome.MISSING_FIELD, refusal(with(key, "")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e3", "-1", "1.234", "01.00", " 1", "1 ", "1.", ".5", "1,00", "+1", "12345678901"})
    void malformedTotalAmountIsRefused(String amount) {
        assertEquals(Outcome.INVALID_FIELD, refusal(with("total_amount", amount)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"refund_fee", "receipt_amount", "buyer_pay_amount"})
    void malformedOptionalAmountIsRefused(String key) {
        assertEquals(Outcome.INVALID_FIELD, refusal(with(key, "1.234")));
    }

    @Test
    void oneDecimalAmountIsAcceptedAndEqualsTheTwoDecimalOne() throws Refused {
        BigDecimal amount = check(ONE_SELLER, verified(with("total_amount", "88.8"))).totalAmount();

        assertEquals(0, amount.compareTo(new BigDecimal("88.80")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.01", "0.5", "9999999999.99"})
    void wellFormedAmountsAreAccepted(String amount) throws Refused {
        assertEquals(new BigDecimal(amount), check(ONE_SELLER, verified(with("total_amount", amount))).totalAmount());
    }

    @Test
    void outTradeNoOfSixtyFourCharactersIsAccepted() throws Refused {
        String longest = "x".repeat(64);

        assertEquals(longest, check(ONE_SELLER, verified(with("out_trade_no", longest))).outTradeNo());
    }

    @Test
    void outTradeNoLongerThanSixtyFourCharactersIsRefused() {
        assertEquals(Outcome.INVALID_FIELD, refusal(with("out_trade_no", "x".repeat(65))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024-01-02", "2024/01/02 03:04:05", "2024-13-02 03:04:05", "2024-01-02T03:04:05",
            "2024-01-02 3:04:05", "yesterday", "2024-01-02 03:04:05."})
    void malformedGmtPaymentIsRefused(String time) {
        assertEquals(Outcome.INVALID_FIELD, refusal(with("gmt_payment", time)));
    }

    @Test
    void malformedNotifyTimeIsRefused() {
        assertEquals(Outcome.INVALID_FIELD, refusal(with("notify_time", "not a time")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"trade_no", "buyer_id", "gmt_payment", "gmt_refund", "gmt_close", "refund_fee",
            "receipt_amount", "buyer_pay_amount", "out_biz_no", "notify_time"})
    void emptyOptionalValueIsTreatedAsAbsent(String key) throws Refused {
        Notification n = check(ONE_SELLER, verified(with(key, "")));

        Object value = switch (key) {
            case "trade_no" -> n.tradeNo();
            case "buyer_id" -> n.buyerId();
            case "gmt_payment" -> n.gmtPayment();
            case "gmt_refund" -> n.gmtRefund();
            case "gmt_close" -> n.gmtClose();
            case "refund_fee" -> n.refundFee();
            case "receipt_amount" -> n.receiptAmount();
            case "buyer_pay_amount" -> n.buyerPayAmount();
            case "out_biz_no" -> n.outBizNo();
            case "notify_time" -> n.notifyTime();
            default -> throw new AssertionError(key);
        };
        assertNull(value, key);
    }
}
