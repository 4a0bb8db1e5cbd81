package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Objects;
import org.alipaynotify.Notification;
import org.alipaynotify.TradeStatus;

/** One row of {@code alipay_order}, as locked for update. */
public record OrderRow(
        String outTradeNo,
        BigDecimal totalAmount,
        TradeStatus tradeStatus,
        boolean paid,
        String tradeNo,
        String buyerId,
        String sellerId,
        LocalDateTime gmtPayment,
        BigDecimal receiptAmount,
        BigDecimal buyerPayAmount,
        BigDecimal refundFee,
        LocalDateTime gmtRefund,
        LocalDateTime gmtClose,
        boolean needsAttention,
        String attentionReason) {

    /**
     * Written out rather than left to the record: on JDK 17 the generated equals (bootstrapped through
     * java.lang.runtime.ObjectMethods) kept the webapp's class loader reachable after an undeploy (found by
     * OperationsIT; the hand-written one does not).
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OrderRow r)) {
            return false;
        }
        return paid == r.paid && needsAttention == r.needsAttention && tradeStatus == r.tradeStatus
                && Objects.equals(outTradeNo, r.outTradeNo) && Objects.equals(totalAmount, r.totalAmount)
                && Objects.equals(tradeNo, r.tradeNo) && Objects.equals(buyerId, r.buyerId)
                && Objects.equals(sellerId, r.sellerId) && Objects.equals(gmtPayment, r.gmtPayment)
                && Objects.equals(receiptAmount, r.receiptAmount) && Objects.equals(buyerPayAmount, r.buyerPayAmount)
                && Objects.equals(refundFee, r.refundFee) && Objects.equals(gmtRefund, r.gmtRefund)
                && Objects.equals(gmtClose, r.gmtClose) && Objects.equals(attentionReason, r.attentionReason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(outTradeNo, tradeStatus, paid, tradeNo, refundFee);
    }

    @Override
    public String toString() {
        return "OrderRow[" + outTradeNo + ", " + tradeStatus + ", paid=" + paid + "]";
    }

    /** A payable order as an insert naming only out_trade_no and total_amount creates it. */
    public static OrderRow payable(String outTradeNo, BigDecimal totalAmount) {
        return new OrderRow(outTradeNo, totalAmount, TradeStatus.WAIT_BUYER_PAY, false, null, null, null, null, null,
                null, null, null, null, false, null);
    }

    public OrderRow withStatus(TradeStatus status, boolean isPaid) {
        return new OrderRow(outTradeNo, totalAmount, status, isPaid, tradeNo, buyerId, sellerId, gmtPayment,
                receiptAmount, buyerPayAmount, refundFee, gmtRefund, gmtClose, needsAttention, attentionReason);
    }

    /** Flags the row for a person; a reason already there stays first (the notification records hold the rest). */
    OrderRow withAttention(String reason) {
        String reasons = !needsAttention || attentionReason == null || attentionReason.contains(reason) ? reason
                : attentionReason + "; " + reason;
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, paid, tradeNo, buyerId, sellerId, gmtPayment,
                receiptAmount, buyerPayAmount, refundFee, gmtRefund, gmtClose, true, reasons);
    }

    OrderRow withClose(LocalDateTime at) {
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, paid, tradeNo, buyerId, sellerId, gmtPayment,
                receiptAmount, buyerPayAmount, refundFee, gmtRefund, gmtClose != null ? gmtClose : at,
                needsAttention, attentionReason);
    }

    /**
     * Facts accumulate whatever the state does: payment facts fill what is still unknown, and the cumulative refund
     * only grows (a late, smaller partial-refund notification does not lower it).
     */
    OrderRow withFacts(Notification n) {
        boolean refundGrows = n.carriesRefund() && (refundFee == null || n.refundFee().compareTo(refundFee) > 0);
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, paid,
                first(tradeNo, n.tradeNo()),
                first(buyerId, n.buyerId()),
                first(sellerId, n.sellerId()),
                first(gmtPayment, n.gmtPayment()),
                first(receiptAmount, n.receiptAmount()),
                first(buyerPayAmount, n.buyerPayAmount()),
                refundGrows ? n.refundFee() : refundFee,
                refundGrows && n.gmtRefund() != null ? n.gmtRefund() : gmtRefund,
                gmtClose, needsAttention, attentionReason);
    }

    /** The facts of the trade that paid: its own, where it brings them, over any an unpaid trade left. */
    OrderRow withPaymentFacts(Notification n) {
        OrderRow f = withFacts(n);
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, paid,
                first(n.tradeNo(), f.tradeNo), first(n.buyerId(), f.buyerId), first(n.sellerId(), f.sellerId),
                first(n.gmtPayment(), f.gmtPayment), first(n.receiptAmount(), f.receiptAmount),
                first(n.buyerPayAmount(), f.buyerPayAmount), f.refundFee, f.gmtRefund, gmtClose, needsAttention,
                attentionReason);
    }

    private static <T> T first(T current, T arriving) {
        return current != null ? current : arriving;
    }
}
