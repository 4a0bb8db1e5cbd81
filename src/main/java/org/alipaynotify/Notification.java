package org.alipaynotify;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * A verified trade notification whose business fields passed the checks: typed, the only shape the ledger accepts.
 * Times are Alipay's, in China Standard Time, as sent. Absent optional fields are null. {@code source}: how we
 * learned it ({@link #NOTIFY}: Alipay's notification; {@link #QUERY}: our alipay.trade.query, whose signed response
 * is the raw body), stored with the record.
 */
public record Notification(
        String notifyId,
        LocalDateTime notifyTime,
        String appId,
        String outTradeNo,
        String tradeNo,
        TradeStatus tradeStatus,
        BigDecimal totalAmount,
        String sellerId,
        String buyerId,
        LocalDateTime gmtPayment,
        LocalDateTime gmtRefund,
        LocalDateTime gmtClose,
        BigDecimal refundFee,
        BigDecimal receiptAmount,
        BigDecimal buyerPayAmount,
        String outBizNo,
        String charsetName,
        byte[] rawBody,
        String source) {

    public static final String NOTIFY = "notify";
    public static final String QUERY = "query";

    /** A notification Alipay delivered. */
    public Notification(String notifyId, LocalDateTime notifyTime, String appId, String outTradeNo, String tradeNo,
            TradeStatus tradeStatus, BigDecimal totalAmount, String sellerId, String buyerId, LocalDateTime gmtPayment,
            LocalDateTime gmtRefund, LocalDateTime gmtClose, BigDecimal refundFee, BigDecimal receiptAmount,
            BigDecimal buyerPayAmount, String outBizNo, String charsetName, byte[] rawBody) {
        this(notifyId, notifyTime, appId, outTradeNo, tradeNo, tradeStatus, totalAmount, sellerId, buyerId, gmtPayment,
                gmtRefund, gmtClose, refundFee, receiptAmount, buyerPayAmount, outBizNo, charsetName, rawBody, NOTIFY);
    }

    /** A partial or full refund is part of this notification. */
    public boolean carriesRefund() {
        return refundFee != null && refundFee.signum() > 0;
    }
}
