package org.alipaynotify.ledger;

import static org.alipaynotify.TradeStatus.TRADE_CLOSED;
import static org.alipaynotify.TradeStatus.TRADE_FINISHED;
import static org.alipaynotify.TradeStatus.TRADE_SUCCESS;
import static org.alipaynotify.TradeStatus.WAIT_BUYER_PAY;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.TradeStatus;
import org.alipaynotify.ledger.TradeTransition.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TradeTransitionTest {
    private static final String OUT_TRADE_NO = "order-1";
    private static final BigDecimal TOTAL = new BigDecimal("88.80");
    private static final String TRADE_NO = "2024010222001400001234567890";
    private static final String BUYER = "2088102000000001";
    private static final String SELLER = "2088000000000001";
    private static final LocalDateTime PAID_AT = LocalDateTime.of(2024, 1, 2, 3, 4, 5);
    private static final LocalDateTime REFUNDED_AT = LocalDateTime.of(2024, 1, 5, 10, 0, 0, 123_000_000);
    private static final LocalDateTime CLOSED_AT = LocalDateTime.of(2024, 1, 6, 12, 0, 0);

    /** Builds a notification for order-1; by default it carries no payment or refund facts. */
    private static final class N {
        private String notifyId = "notify-1";
        private final TradeStatus status;
        private String tradeNo;
        private String buyerId;
        private String sellerId = SELLER;
        private LocalDateTime gmtPayment;
        private LocalDateTime gmtRefund;
        private LocalDateTime gmtClose;
        private BigDecimal refundFee;
        private BigDecimal receiptAmount;
        private BigDecimal buyerPayAmount;
        private String outBizNo;

        private N(TradeStatus status) {
            this.status = status;
        }

        N id(String id) {
            notifyId = id;
            return this;
        }

        /** trade_no, buyer_id, gmt_payment, receipt_amount and buyer_pay_amount of a paid trade. */
        N paid() {
            return paid(TRADE_NO, BUYER, PAID_AT, TOTAL);
        }

        N paid(String tradeNo, String buyerId, LocalDateTime at, BigDecimal amount) {
            this.tradeNo = tradeNo;
            this.buyerId = buyerId;
            this.gmtPayment = at;
            this.receiptAmount = amount;
            this.buyerPayAmount = amount;
            return this;
        }

        N tradeNo(String tradeNo) {
            this.tradeNo = tradeNo;
            return this;
        }

        N refund(String fee, LocalDateTime at) {
            this.refundFee = new BigDecimal(fee);
            this.gmtRefund = at;
            this.outBizNo = "refund-" + fee;
            return this;
        }

        N closed(LocalDateTime at) {
            this.gmtClose = at;
            return this;
        }

        Notification build() {
            return new Notification(notifyId, LocalDateTime.of(2024, 1, 7, 0, 0), "2021000000000001", OUT_TRADE_NO,
                    tradeNo, status,
                    TOTAL, sellerId, buyerId, gmtPayment, gmtRefund, gmtClose, refundFee, receiptAmount,
                    buyerPayAmount, outBizNo, "utf-8", ("notify_id=" + notifyId).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static N notification(TradeStatus status) {
        return new N(status);
    }

    private static OrderRow payable() {
        return OrderRow.payable(OUT_TRADE_NO, TOTAL);
    }

    /** An order paid by the default payment facts, now in {@code status}, with the given cumulative refund. */
    private static OrderRow paidOrder(TradeStatus status, BigDecimal refundFee, LocalDateTime gmtClose) {
        return new OrderRow(OUT_TRADE_NO, TOTAL, status, true, TRADE_NO, BUYER, SELLER, PAID_AT, TOTAL, TOTAL,
                refundFee, refundFee == null ? null : REFUNDED_AT, gmtClose, false, null);
    }

    private static OrderRow paidOrder(TradeStatus status) {
        return paidOrder(status, null, null);
    }

    /** Closed by timeout (or by the merchant) without a payment on record. */
    private static OrderRow closedUnpaid() {
        return new OrderRow(OUT_TRADE_NO, TOTAL, TRADE_CLOSED, false, null, null, null, null, null, null, null, null,
                CLOSED_AT, false, null);
    }

    /** Fully refunded after payment. */
    private static OrderRow closedRefunded() {
        return paidOrder(TRADE_CLOSED, TOTAL, CLOSED_AT);
    }

    private static void assertState(Result r, Outcome outcome, TradeStatus status, boolean paid) {
        assertAll(
                () -> assertEquals(outcome, r.outcome(), "outcome"),
                () -> assertEquals(status, r.next().tradeStatus(), "trade status"),
                () -> assertEquals(paid, r.next().paid(), "paid"),
                () -> assertEquals(OUT_TRADE_NO, r.next().outTradeNo(), "out_trade_no"),
                () -> assertEquals(TOTAL, r.next().totalAmount(), "total_amount"));
    }

    private static void assertNoAttention(Result r) {
        assertFalse(r.next().needsAttention(), "needsAttention");
        assertNull(r.next().attentionReason(), "attentionReason");
    }

    private static void assertPaymentFacts(OrderRow row) {
        assertAll(
                () -> assertEquals(TRADE_NO, row.tradeNo(), "trade_no"),
                () -> assertEquals(BUYER, row.buyerId(), "buyer_id"),
                () -> assertEquals(SELLER, row.sellerId(), "seller_id"),
                () -> assertEquals(PAID_AT, row.gmtPayment(), "gmt_payment"),
                () -> assertEquals(TOTAL, row.receiptAmount(), "receipt_amount"),
                () -> assertEquals(TOTAL, row.buyerPayAmount(), "buyer_pay_amount"));
    }

    // ---- WAIT_BUYER_PAY ----

    @ParameterizedTest
    @EnumSource(value = TradeStatus.class, names = {"TRADE_SUCCESS", "TRADE_FINISHED"})
    void payableOrderTakesAPaidStateAndStoresThePaymentFacts(TradeStatus to) {
        Result r = TradeTransition.decide(payable(), notification(to).paid().build());

        assertState(r, Outcome.APPLIED, to, true);
        assertNoAttention(r);
        assertPaymentFacts(r.next());
        assertNull(r.next().refundFee());
        assertNull(r.next().gmtClose());
    }

    @Test
    void payableOrderClosedWithPaymentFactsStoresThemAndCountsAsPaid() {
        Result r = TradeTransition.decide(payable(), notification(TRADE_CLOSED).paid().closed(CLOSED_AT).build());

        assertState(r, Outcome.APPLIED, TRADE_CLOSED, true);
        assertNoAttention(r);
        assertPaymentFacts(r.next());
        assertEquals(CLOSED_AT, r.next().gmtClose());
    }

    @Test
    void payableOrderClosedWithoutPaymentFactsStaysUnpaid() {
        Result r = TradeTransition.decide(payable(),
                notification(TRADE_CLOSED).tradeNo(TRADE_NO).closed(CLOSED_AT).build());

        assertState(r, Outcome.APPLIED, TRADE_CLOSED, false);
        assertNoAttention(r);
        assertEquals(CLOSED_AT, r.next().gmtClose());
        assertEquals(TRADE_NO, r.next().tradeNo());
        assertNull(r.next().gmtPayment());
        assertNull(r.next().refundFee());
    }

    @Test
    void payableOrderClosedWithARefundCountsAsPaid() {
        Result r = TradeTransition.decide(payable(),
                notification(TRADE_CLOSED).tradeNo(TRADE_NO).refund("88.80", REFUNDED_AT).closed(CLOSED_AT).build());

        assertState(r, Outcome.APPLIED, TRADE_CLOSED, true);
        assertNoAttention(r);
        assertEquals(new BigDecimal("88.80"), r.next().refundFee());
        assertEquals(REFUNDED_AT, r.next().gmtRefund());
        assertEquals(CLOSED_AT, r.next().gmtClose());
    }

    @Test
    void payableOrderGettingWaitBuyerPayAgainIsNoChange() {
        Result r = TradeTransition.decide(payable(), notification(WAIT_BUYER_PAY).tradeNo(TRADE_NO).build());

        assertState(r, Outcome.NO_CHANGE, WAIT_BUYER_PAY, false);
        assertNoAttention(r);
    }

    // ---- TRADE_SUCCESS ----

    @Test
    void successfulOrderFinishes() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS), notification(TRADE_FINISHED).paid().build());

        assertState(r, Outcome.APPLIED, TRADE_FINISHED, true);
        assertNoAttention(r);
        assertPaymentFacts(r.next());
    }

    @Test
    void partialRefundIsRecordedAndTheStateStays() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS),
                notification(TRADE_SUCCESS).paid().refund("10.00", REFUNDED_AT).build());

        assertState(r, Outcome.REFUND_RECORDED, TRADE_SUCCESS, true);
        assertNoAttention(r);
        assertEquals(new BigDecimal("10.00"), r.next().refundFee());
        assertEquals(REFUNDED_AT, r.next().gmtRefund());
        assertPaymentFacts(r.next());
    }

    @Test
    void aLargerCumulativeRefundReplacesTheSmallerOne() {
        LocalDateTime later = REFUNDED_AT.plusDays(1);
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS, new BigDecimal("10.00"), null),
                notification(TRADE_SUCCESS).paid().refund("30.00", later).build());

        assertState(r, Outcome.REFUND_RECORDED, TRADE_SUCCESS, true);
        assertEquals(new BigDecimal("30.00"), r.next().refundFee());
        assertEquals(later, r.next().gmtRefund());
    }

    @Test
    void aLaterSmallerRefundDoesNotLowerTheCumulativeRefund() {
        Result first = TradeTransition.decide(paidOrder(TRADE_SUCCESS),
                notification(TRADE_SUCCESS).id("notify-30").paid().refund("30.00", REFUNDED_AT).build());
        Result late = TradeTransition.decide(first.next(),
                notification(TRADE_SUCCESS).id("notify-10").paid().refund("10.00", REFUNDED_AT.minusDays(1)).build());

        assertEquals(Outcome.REFUND_RECORDED, first.outcome());
        assertState(late, Outcome.NO_CHANGE, TRADE_SUCCESS, true);
        assertNoAttention(late);
        assertEquals(new BigDecimal("30.00"), late.next().refundFee());
        assertEquals(REFUNDED_AT, late.next().gmtRefund());
    }

    @Test
    void theSameRefundWrittenWithAnotherScaleIsNoChange() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS, new BigDecimal("10.00"), null),
                notification(TRADE_SUCCESS).paid().refund("10.0", REFUNDED_AT.plusDays(1)).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_SUCCESS, true);
        assertEquals(new BigDecimal("10.00"), r.next().refundFee());
        assertEquals(REFUNDED_AT, r.next().gmtRefund());
    }

    @Test
    void successfulOrderClosedByAFullRefundRecordsRefundAndCloseTime() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS),
                notification(TRADE_CLOSED).paid().refund("88.80", REFUNDED_AT).closed(CLOSED_AT).build());

        assertState(r, Outcome.APPLIED, TRADE_CLOSED, true);
        assertNoAttention(r);
        assertEquals(new BigDecimal("88.80"), r.next().refundFee());
        assertEquals(REFUNDED_AT, r.next().gmtRefund());
        assertEquals(CLOSED_AT, r.next().gmtClose());
        assertPaymentFacts(r.next());
    }

    @Test
    void successfulOrderGettingSuccessAgainWithoutRefundIsNoChange() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS), notification(TRADE_SUCCESS).paid().build());

        assertState(r, Outcome.NO_CHANGE, TRADE_SUCCESS, true);
        assertNoAttention(r);
        assertNull(r.next().refundFee());
    }

    // ---- TRADE_FINISHED ----

    @ParameterizedTest
    @EnumSource(TradeStatus.class)
    void finishedOrderNeverMoves(TradeStatus to) {
        Result r = TradeTransition.decide(paidOrder(TRADE_FINISHED), notification(to).paid().build());

        assertState(r, Outcome.NO_CHANGE, TRADE_FINISHED, true);
        assertNoAttention(r);
        assertPaymentFacts(r.next());
    }

    @Test
    void finishedOrderStaysFinishedWhenAClosedNotificationCarriesARefund() {
        Result r = TradeTransition.decide(paidOrder(TRADE_FINISHED),
                notification(TRADE_CLOSED).paid().refund("88.80", REFUNDED_AT).closed(CLOSED_AT).build());

        assertEquals(TRADE_FINISHED, r.next().tradeStatus());
        assertTrue(r.next().paid());
        assertNull(r.next().gmtClose());
    }

    // ---- TRADE_CLOSED ----

    @ParameterizedTest
    @EnumSource(value = TradeStatus.class, names = {"TRADE_SUCCESS", "TRADE_FINISHED"})
    void paymentAfterAnUnpaidCloseIsALatePayment(TradeStatus to) {
        Result r = TradeTransition.decide(closedUnpaid(), notification(to).id("late-notify-42").paid().build());

        assertState(r, Outcome.LATE_PAYMENT, to, true);
        assertTrue(r.next().needsAttention(), "needsAttention");
        assertTrue(r.next().attentionReason().contains("late-notify-42"), r.next().attentionReason());
        assertTrue(r.reason().contains("late-notify-42"), r.reason());
        assertPaymentFacts(r.next());
        assertEquals(CLOSED_AT, r.next().gmtClose(), "the close time stays on record");
    }

    @ParameterizedTest
    @EnumSource(value = TradeStatus.class, names = {"TRADE_SUCCESS", "TRADE_FINISHED"})
    void refundedOrderStaysClosed(TradeStatus to) {
        // a delayed notification from before the full refund, even one carrying an earlier partial refund
        Result r = TradeTransition.decide(closedRefunded(),
                notification(to).paid().refund("10.00", REFUNDED_AT.minusDays(1)).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_CLOSED, true);
        assertNoAttention(r);
        assertEquals(TOTAL, r.next().refundFee());
        assertEquals(REFUNDED_AT, r.next().gmtRefund());
        assertEquals(CLOSED_AT, r.next().gmtClose());
    }

    @Test
    void unpaidClosedOrderGettingClosedAgainIsNoChange() {
        Result r = TradeTransition.decide(closedUnpaid(),
                notification(TRADE_CLOSED).tradeNo(TRADE_NO).closed(CLOSED_AT.plusHours(1)).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_CLOSED, false);
        assertNoAttention(r);
        assertEquals(CLOSED_AT, r.next().gmtClose());
    }

    // ---- older states never move the order back ----

    @Test
    void successfulOrderGettingWaitBuyerPayStays() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS), notification(WAIT_BUYER_PAY).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_SUCCESS, true);
        assertNoAttention(r);
        assertPaymentFacts(r.next());
    }

    @Test
    void finishedOrderGettingSuccessStays() {
        Result r = TradeTransition.decide(paidOrder(TRADE_FINISHED), notification(TRADE_SUCCESS).paid().build());

        assertState(r, Outcome.NO_CHANGE, TRADE_FINISHED, true);
        assertNoAttention(r);
    }

    @Test
    void unpaidClosedOrderGettingWaitBuyerPayStays() {
        Result r = TradeTransition.decide(closedUnpaid(), notification(WAIT_BUYER_PAY).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_CLOSED, false);
        assertNoAttention(r);
    }

    @Test
    void refundedOrderGettingWaitBuyerPayStays() {
        Result r = TradeTransition.decide(closedRefunded(), notification(WAIT_BUYER_PAY).build());

        assertState(r, Outcome.NO_CHANGE, TRADE_CLOSED, true);
        assertNoAttention(r);
    }

    // ---- facts ----

    @Test
    void storedFactsAreNotOverwrittenByLaterNotifications() {
        LocalDateTime otherTime = PAID_AT.plusHours(5);
        Notification later = notification(TRADE_FINISHED)
                .paid(TRADE_NO, "2088999999999999", otherTime, new BigDecimal("1.00"))
                .build();

        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS), later);

        assertState(r, Outcome.APPLIED, TRADE_FINISHED, true);
        assertPaymentFacts(r.next());
    }

    // ---- a second trade for the same out_trade_no (issue 10: money that moved with nobody told) ----

    @Test
    void anotherTradesPaymentChangesNothingButFlagsTheOrder() {
        OrderRow paid = paidOrder(TRADE_SUCCESS);
        Result r = TradeTransition.decide(paid, notification(TRADE_SUCCESS).id("notify-t2")
                .paid("2024010222001400009999999999", "2088999999999999", PAID_AT.plusMinutes(3), TOTAL).build());

        assertEquals(Outcome.SECOND_TRADE, r.outcome());
        assertTrue(r.next().needsAttention());
        assertTrue(r.next().attentionReason().contains("2024010222001400009999999999")
                && r.next().attentionReason().contains("second payment"), r.next().attentionReason());
        // everything but the flag is the order as it was: state, trade, buyer, times, amounts
        assertEquals(paid.withAttention(r.next().attentionReason()), r.next());
    }

    @Test
    void anotherTradesCloseDoesNotCloseAnOrderPaidByTheFirst() {
        OrderRow paid = paidOrder(TRADE_SUCCESS);
        Result r = TradeTransition.decide(paid, notification(TRADE_CLOSED).id("notify-t2")
                .tradeNo("2024010222001400009999999999").closed(CLOSED_AT).build());

        assertEquals(Outcome.SECOND_TRADE, r.outcome());
        assertEquals(paid, r.next(), "an unpaid second trade that closed moved no money: nothing to flag");
    }

    @Test
    void anotherTradesFinishAfterARefundedFirstTradeChangesNothing() {
        OrderRow refunded = closedRefunded();
        Result r = TradeTransition.decide(refunded, notification(TRADE_FINISHED).id("notify-t2")
                .paid("2024010222001400009999999999", BUYER, PAID_AT.plusDays(1), TOTAL).build());

        assertEquals(Outcome.SECOND_TRADE, r.outcome());
        assertEquals(TRADE_CLOSED, r.next().tradeStatus());
        assertEquals(TRADE_NO, r.next().tradeNo());
        assertTrue(r.next().needsAttention());
    }

    @Test
    void thePayingTradesFactsReplaceThoseOfAnUnpaidTradeThatClosedFirst() {
        // Trade T2 was created and closed unpaid first (its trade_no recorded); then trade T1 paid.
        OrderRow closedByT2 = TradeTransition.decide(payable(), notification(TRADE_CLOSED).id("notify-t2")
                .tradeNo("2024010222001400009999999999").closed(CLOSED_AT).build()).next();
        assertEquals("2024010222001400009999999999", closedByT2.tradeNo());

        Result r = TradeTransition.decide(closedByT2, notification(TRADE_SUCCESS).paid().build());

        assertEquals(Outcome.LATE_PAYMENT, r.outcome());
        assertPaymentFacts(r.next());
    }

    @Test
    void aNotificationWithoutTradeNoIsTakenForTheOrdersTrade() {
        Result r = TradeTransition.decide(paidOrder(TRADE_SUCCESS), notification(TRADE_FINISHED).build());

        assertState(r, Outcome.APPLIED, TRADE_FINISHED, true);
    }

    @Test
    void closeTimeAlreadyStoredIsNotOverwritten() {
        OrderRow closedOnce = TradeTransition.decide(paidOrder(TRADE_SUCCESS),
                notification(TRADE_CLOSED).paid().refund("88.80", REFUNDED_AT).closed(CLOSED_AT).build()).next();

        Result again = TradeTransition.decide(closedOnce,
                notification(TRADE_CLOSED).id("notify-2").paid().refund("88.80", REFUNDED_AT)
                        .closed(CLOSED_AT.plusDays(1)).build());

        assertState(again, Outcome.NO_CHANGE, TRADE_CLOSED, true);
        assertEquals(CLOSED_AT, again.next().gmtClose());
    }

    @Test
    void decideIsPure() {
        OrderRow order = paidOrder(TRADE_SUCCESS);
        OrderRow copy = paidOrder(TRADE_SUCCESS);
        Notification n = notification(TRADE_SUCCESS).paid().refund("10.00", REFUNDED_AT).build();

        Result first = TradeTransition.decide(order, n);
        Result second = TradeTransition.decide(order, n);

        assertEquals(first, second);
        assertEquals(copy, order, "the input row is not changed");
    }
}
