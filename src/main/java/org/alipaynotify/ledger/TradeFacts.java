package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.TradeStatus;

/**
 * The Alipay-side facts of a trade as columns, the same in {@code alipay_order} and {@code alipay_trade}: one place
 * that reads and writes them, so both stores keep the state table's vocabulary whatever the merchant's own is.
 */
final class TradeFacts {
    /** The columns read, in a SELECT list. */
    static final String COLUMNS = "trade_status, paid, trade_no, buyer_id, seller_id, gmt_payment, receipt_amount,"
            + " buyer_pay_amount, refund_fee, gmt_refund, gmt_close, needs_attention, attention_reason";
    /** The columns written, each {@code = ?}, in the order {@link #bind} binds them. */
    static final String ASSIGNMENTS = "trade_status = ?, paid = ?, trade_no = ?, buyer_id = ?, seller_id = ?,"
            + " gmt_payment = ?, receipt_amount = ?, buyer_pay_amount = ?, refund_fee = ?, gmt_refund = ?,"
            + " gmt_close = ?, needs_attention = ?, attention_reason = ?, last_notify_id = COALESCE(?, last_notify_id),"
            + " updated_at = UTC_TIMESTAMP(3)";
    static final int BOUND = 14;

    private TradeFacts() {
    }

    static OrderRow read(ResultSet rs, String outTradeNo, BigDecimal totalAmount) throws SQLException, Refused {
        String status = rs.getString("trade_status");
        TradeStatus tradeStatus;
        try {
            tradeStatus = TradeStatus.valueOf(status);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new Refused(Outcome.INTERNAL_ERROR, "order " + outTradeNo + " has trade_status '" + status
                    + "', which is not an Alipay state");
        }
        return new OrderRow(outTradeNo, totalAmount, tradeStatus, rs.getBoolean("paid"), rs.getString("trade_no"),
                rs.getString("buyer_id"), rs.getString("seller_id"), time(rs, "gmt_payment"),
                rs.getBigDecimal("receipt_amount"), rs.getBigDecimal("buyer_pay_amount"),
                rs.getBigDecimal("refund_fee"), time(rs, "gmt_refund"), time(rs, "gmt_close"),
                rs.getBoolean("needs_attention"), rs.getString("attention_reason"));
    }

    /** Binds {@link #ASSIGNMENTS}' values from {@code first} on; returns the next index. */
    static int bind(PreparedStatement ps, int first, OrderRow o, String lastNotifyId) throws SQLException {
        int i = first;
        ps.setString(i++, o.tradeStatus().name());
        ps.setBoolean(i++, o.paid());
        ps.setString(i++, o.tradeNo());
        ps.setString(i++, o.buyerId());
        ps.setString(i++, o.sellerId());
        TradeLedger.setTime(ps, i++, o.gmtPayment());
        setMoney(ps, i++, o.receiptAmount());
        setMoney(ps, i++, o.buyerPayAmount());
        setMoney(ps, i++, o.refundFee());
        TradeLedger.setTime(ps, i++, o.gmtRefund());
        TradeLedger.setTime(ps, i++, o.gmtClose());
        ps.setBoolean(i++, o.needsAttention());
        ps.setString(i++, o.attentionReason() == null ? null : Text.printable(o.attentionReason(), 250));
        ps.setString(i++, lastNotifyId);
        return i;
    }

    // DATETIME holds Alipay's wall-clock time: LocalDateTime out, a literal in (TradeLedger.setTime), no time-zone
    // conversion anywhere.
    private static LocalDateTime time(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, LocalDateTime.class);
    }

    private static void setMoney(PreparedStatement ps, int i, BigDecimal m) throws SQLException {
        if (m == null) {
            ps.setNull(i, Types.DECIMAL);
        } else {
            ps.setBigDecimal(i, m);
        }
    }
}
