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
        OrderRow facts = order.withFacts(n);
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
}
