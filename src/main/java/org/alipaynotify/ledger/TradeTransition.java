package org.alipaynotify.ledger;

import static org.alipaynotify.TradeStatus.TRADE_CLOSED;
import static org.alipaynotify.TradeStatus.TRADE_FINISHED;
import static org.alipaynotify.TradeStatus.TRADE_SUCCESS;
import static org.alipaynotify.TradeStatus.WAIT_BUYER_PAY;

import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.TradeStatus;

/**
 * The state table, as a pure function of the locked order row and the notification. State never goes backwards;
 * late and out-of-order deliveries are acknowledged without moving it. See README.md, "State table".
 */
public final class TradeTransition {
    /** What applying a notification does: the outcome, the row to write, and why. */
    public record Result(Outcome outcome, OrderRow next, String reason) {
    }

    private TradeTransition() {
    }

    public static Result decide(OrderRow order, Notification n) {
        TradeStatus from = order.tradeStatus();
        TradeStatus to = n.tradeStatus();
        if (order.paid() && order.tradeNo() != null && n.tradeNo() != null && !order.tradeNo().equals(n.tradeNo())) {
            return secondTrade(order, n);
        }
        // A payment's own trade facts win over those an unpaid trade left (another trade of this out_trade_no that
        // closed unpaid may have been recorded first).
        OrderRow facts = !order.paid() && to.isPaid() ? order.withPaymentFacts(n) : order.withFacts(n);
        boolean refundGrew = facts.refundFee() != null && !facts.refundFee().equals(order.refundFee());
        // A TRADE_CLOSED with payment facts is a full refund of a payment we may have missed.
        boolean paymentSeen = to.isPaid() || (to == TRADE_CLOSED && (n.gmtPayment() != null || n.carriesRefund()));
        boolean paid = order.paid() || paymentSeen;

        if (from == WAIT_BUYER_PAY && to != WAIT_BUYER_PAY) {
            OrderRow next = facts.withStatus(to, paid);
            return new Result(Outcome.APPLIED, to == TRADE_CLOSED ? next.withClose(n.gmtClose()) : next,
                    from + " -> " + to);
        }
        if (from == TRADE_SUCCESS && to == TRADE_FINISHED) {
            return new Result(Outcome.APPLIED, facts.withStatus(TRADE_FINISHED, true), from + " -> " + to);
        }
        if (from == TRADE_SUCCESS && to == TRADE_CLOSED) {
            return new Result(Outcome.APPLIED, facts.withStatus(TRADE_CLOSED, true).withClose(n.gmtClose()),
                    from + " -> " + to + " (full refund)");
        }
        if (from == TRADE_CLOSED && !order.paid() && to.isPaid()) {
            String reason = "paid after the order was closed: " + to + " notify_id " + n.notifyId()
                    + ", trade_no " + n.tradeNo() + ", amount " + n.totalAmount();
            return new Result(Outcome.LATE_PAYMENT, facts.withStatus(to, true).withAttention(reason), reason);
        }
        // Everything else is the same state again, an older one, or anything after TRADE_FINISHED: the state stays,
        // the facts that arrived are kept.
        OrderRow stays = facts.withStatus(from, paid);
        if (refundGrew) {
            return new Result(Outcome.REFUND_RECORDED, stays, "cumulative refund " + facts.refundFee()
                    + (n.outBizNo() != null ? " (out_biz_no " + n.outBizNo() + ")" : ""));
        }
        return new Result(Outcome.NO_CHANGE, stays, to == from ? "already " + from : to + " is not after " + from);
    }

    /**
     * The order was paid by one trade and this notification is about another (several apps or sellers can create
     * trades for one out_trade_no). Applying it would let, say, that trade's TRADE_CLOSED close an order paid by the
     * first: nothing of the order changes. If that trade moved money, the buyer paid twice and a person must refund.
     */
    private static Result secondTrade(OrderRow order, Notification n) {
        boolean moneyMoved = n.tradeStatus().isPaid() || n.gmtPayment() != null || n.carriesRefund();
        String reason = "trade_no " + n.tradeNo() + " (" + n.tradeStatus() + ") is not " + order.tradeNo()
                + ", which paid this order" + (moneyMoved ? ": a second payment, refund it" : "");
        return new Result(Outcome.SECOND_TRADE, moneyMoved ? order.withAttention(reason) : order, reason);
    }
}
