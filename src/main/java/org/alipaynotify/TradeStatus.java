package org.alipaynotify;

/** Alipay trade states, as they appear in {@code trade_status} and in {@code alipay_order.trade_status}. */
public enum TradeStatus {
    /** Created, not paid. */
    WAIT_BUYER_PAY,
    /** Paid and still refundable; partial refunds arrive as further TRADE_SUCCESS notifications. */
    TRADE_SUCCESS,
    /** Paid and no longer refundable: terminal. */
    TRADE_FINISHED,
    /** Closed unpaid (timeout, or closed by the merchant), or fully refunded after payment. */
    TRADE_CLOSED;

    public boolean isPaid() {
        return this == TRADE_SUCCESS || this == TRADE_FINISHED;
    }
}
