package org.alipaynotify;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * A verified trade notification whose business fields passed {@link BusinessChecker}: typed, the only shape the
 * ledger accepts. Times are Alipay's, in China Standard Time, as sent. Absent optional fields are null.
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
        byte[] rawBody) {

    /** A partial or full refund is part of this notification. */
    public boolean carriesRefund() {
        return refundFee != null && refundFee.signum() > 0;
    }
}
