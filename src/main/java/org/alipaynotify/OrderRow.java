package org.alipaynotify;

import java.math.BigDecimal;
import java.time.LocalDateTime;

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

    /** A payable order as an insert naming only out_trade_no and total_amount creates it. */
    public static OrderRow payable(String outTradeNo, BigDecimal totalAmount) {
        return new OrderRow(outTradeNo, totalAmount, TradeStatus.WAIT_BUYER_PAY, false, null, null, null, null, null,
                null, null, null, null, false, null);
    }

    OrderRow withStatus(TradeStatus status, boolean isPaid) {
        return new OrderRow(outTradeNo, totalAmount, status, isPaid, tradeNo, buyerId, sellerId, gmtPayment,
                receiptAmount, buyerPayAmount, refundFee, gmtRefund, gmtClose, needsAttention, attentionReason);
    }

    OrderRow withAttention(String reason) {
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, paid, tradeNo, buyerId, sellerId, gmtPayment,
                receiptAmount, buyerPayAmount, refundFee, gmtRefund, gmtClose, true, reason);
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

    private static <T> T first(T current, T arriving) {
        return current != null ? current : arriving;
    }
}
