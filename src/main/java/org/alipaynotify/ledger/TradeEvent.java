package org.alipaynotify.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.alipaynotify.TradeStatus;

/**
 * What a business reacts to, derived from the order's facts before and after one notification; several may follow
 * from one notification, and then they come in this order (the order reactions run in): money in, money out, the
 * trade's end, then the flag for a person.
 */
public enum TradeEvent {
    /** The order became paid (a late payment too). */
    PAID,
    /** The cumulative refund grew (a full refund too). */
    REFUNDED,
    /** The trade became TRADE_FINISHED: paid and no longer refundable. */
    FINISHED,
    /** The trade closed without a payment. */
    CLOSED,
    /** The order was flagged for a person, or got another reason. */
    ATTENTION;

    /** The events from {@code before} to {@code after}, in the order above. */
    static List<TradeEvent> between(OrderRow before, OrderRow after) {
        List<TradeEvent> events = new ArrayList<>(2);
        if (!before.paid() && after.paid()) {
            events.add(PAID);
        }
        if (after.refundFee() != null && (before.refundFee() == null
                || after.refundFee().compareTo(before.refundFee()) > 0)) {
            events.add(REFUNDED);
        }
        if (after.tradeStatus() == TradeStatus.TRADE_FINISHED && before.tradeStatus() != TradeStatus.TRADE_FINISHED) {
            events.add(FINISHED);
        }
        if (after.tradeStatus() == TradeStatus.TRADE_CLOSED && before.tradeStatus() != TradeStatus.TRADE_CLOSED
                && !after.paid()) {
            events.add(CLOSED);
        }
        if (after.needsAttention() && (!before.needsAttention()
                || !Objects.equals(before.attentionReason(), after.attentionReason()))) {
            events.add(ATTENTION);
        }
        return events;
    }
}
