package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.alipaynotify.Notification;

/**
 * The named parameters a merchant's statements may use, and their values for one notification. Amounts are decimals
 * in yuan, or whole fen for the {@code _fen} names; times are Alipay's (China Standard Time, as sent). The lookup sees
 * what the notification says; a reaction also sees the facts before and after it was applied.
 */
final class TradeParameters {
    /** Known to the lookup and to reactions. */
    static final Set<String> NOTIFICATION = Set.of("out_trade_no", "trade_no", "app_id", "seller_id", "buyer_id",
            "trade_status", "total_amount", "total_amount_fen", "receipt_amount", "buyer_pay_amount", "refund_fee",
            "refund_fee_fen", "gmt_payment", "gmt_refund", "gmt_close", "notify_id", "notify_time", "out_biz_no");
    /** Known to reactions only: they need the facts after the change. */
    static final Set<String> REACTION = Set.of("previous_status", "status", "refund_delta", "refund_delta_fen",
            "attention_reason", "event");

    private final Notification n;
    private final OrderRow before;
    private final OrderRow after;
    private final TradeEvent event;

    private TradeParameters(Notification n, OrderRow before, OrderRow after, TradeEvent event) {
        this.n = n;
        this.before = before;
        this.after = after;
        this.event = event;
    }

    static TradeParameters forLookup(Notification n) {
        return new TradeParameters(n, null, null, null);
    }

    static TradeParameters forReaction(Notification n, OrderRow before, OrderRow after, TradeEvent event) {
        return new TradeParameters(n, before, after, event);
    }

    static Set<String> all() {
        Set<String> all = new TreeSet<>(NOTIFICATION);
        all.addAll(REACTION);
        return all;
    }

    void bind(PreparedStatement ps, List<String> names) throws SQLException {
        for (int i = 0; i < names.size(); i++) {
            Object v = value(names.get(i));
            int at = i + 1;
            if (v == null) {
                ps.setNull(at, Types.VARCHAR);
            } else if (v instanceof BigDecimal d) {
                ps.setBigDecimal(at, d);
            } else if (v instanceof Long l) {
                ps.setLong(at, l);
            } else if (v instanceof LocalDateTime t) {
                TradeLedger.setTime(ps, at, t);
            } else {
                ps.setString(at, v.toString());
            }
        }
    }

    /** Facts after the change where a reaction has them (the cumulative refund, the payment time), else notified. */
    Object value(String name) {
        boolean facts = after != null;
        switch (name) {
            case "out_trade_no": return n.outTradeNo();
            case "trade_no": return facts && after.tradeNo() != null ? after.tradeNo() : n.tradeNo();
            case "app_id": return n.appId();
            case "seller_id": return n.sellerId();
            case "buyer_id": return facts && after.buyerId() != null ? after.buyerId() : n.buyerId();
            case "trade_status": return n.tradeStatus().name();
            case "total_amount": return n.totalAmount();
            case "total_amount_fen": return fen(n.totalAmount());
            case "receipt_amount": return facts ? after.receiptAmount() : n.receiptAmount();
            case "buyer_pay_amount": return facts ? after.buyerPayAmount() : n.buyerPayAmount();
            case "refund_fee": return facts ? after.refundFee() : n.refundFee();
            case "refund_fee_fen": return fen(facts ? after.refundFee() : n.refundFee());
            case "gmt_payment": return facts ? after.gmtPayment() : n.gmtPayment();
            case "gmt_refund": return facts ? after.gmtRefund() : n.gmtRefund();
            case "gmt_close": return facts ? after.gmtClose() : n.gmtClose();
            case "notify_id": return n.notifyId();
            case "notify_time": return n.notifyTime();
            case "out_biz_no": return n.outBizNo();
            case "previous_status": return before.tradeStatus().name();
            case "status": return after.tradeStatus().name();
            case "refund_delta": return refundDelta();
            case "refund_delta_fen": return fen(refundDelta());
            case "attention_reason": return after.attentionReason();
            case "event": return event == null ? null : event.name();
            default: throw new IllegalArgumentException("unknown parameter :" + name);
        }
    }

    private BigDecimal refundDelta() {
        BigDecimal now = after.refundFee() == null ? BigDecimal.ZERO : after.refundFee();
        BigDecimal was = before.refundFee() == null ? BigDecimal.ZERO : before.refundFee();
        return now.subtract(was).max(BigDecimal.ZERO);
    }

    /** Yuan with at most two decimals (BusinessChecker) as whole fen. */
    static Long fen(BigDecimal yuan) {
        return yuan == null ? null : yuan.movePointRight(2).longValueExact();
    }
}
