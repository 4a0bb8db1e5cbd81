package org.alipaynotify.ledger;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.alipaynotify.Json;
import org.alipaynotify.Notification;

/**
 * The transactional outbox: one row in {@code alipay_notify_event} per business event, written in the notification's
 * own transaction, so an event exists exactly when its change was committed (no "sent after the commit" window in
 * which a crash loses it). The columns Debezium's outbox event router reads by default are there under its names
 * ({@code id}, {@code aggregatetype}, {@code aggregateid}, {@code type}, {@code payload}); the relay's own columns
 * follow. Never for a duplicate or a no-change.
 */
public final class Outbox {
    /** Debezium routes by it: topic {@code outbox.event.alipay_trade}. */
    public static final String AGGREGATE_TYPE = "alipay_trade";
    private static final ZoneOffset CHINA = ZoneOffset.ofHours(8);
    private static final DateTimeFormatter UTC_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final String INSERT = "INSERT INTO alipay_notify_event (id, aggregatetype, aggregateid, type,"
            + " payload, app_id, notify_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final Clock clock;
    private final AtomicLong created = new AtomicLong();

    public Outbox(Clock clock) {
        this.clock = clock;
    }

    /** Events written since start (committed or not: a rolled-back transaction takes its events with it). */
    public long created() {
        return created.get();
    }

    void write(Connection c, Notification n, OrderRow before, OrderRow after, List<TradeEvent> events)
            throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        String at = UTC_MILLIS.format(LocalDateTime.ofInstant(now, ZoneOffset.UTC));
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (TradeEvent event : events) {
                String id = UUID.randomUUID().toString();
                ps.setString(1, id);
                ps.setString(2, AGGREGATE_TYPE);
                ps.setString(3, n.outTradeNo());
                ps.setString(4, event.name());
                ps.setString(5, payload(id, event, now, n, before, after));
                ps.setString(6, n.appId());
                ps.setString(7, n.notifyId());
                ps.setString(8, at);
                ps.setString(9, at);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        created.addAndGet(events.size());
    }

    /**
     * What a receiver needs, without asking us back: amounts as decimal strings in yuan, Alipay's times with their
     * zone (+08:00), ours in UTC.
     */
    static String payload(String id, TradeEvent event, Instant now, Notification n, OrderRow before, OrderRow after) {
        BigDecimal was = before.refundFee() == null ? BigDecimal.ZERO : before.refundFee();
        BigDecimal is = after.refundFee() == null ? BigDecimal.ZERO : after.refundFee();
        return Json.object()
                .string("id", id)
                .string("type", event.name())
                .string("created_at", now.toString())
                .string("app_id", n.appId())
                .string("out_trade_no", n.outTradeNo())
                .string("trade_no", after.tradeNo() != null ? after.tradeNo() : n.tradeNo())
                .string("trade_status", after.tradeStatus().name())
                .string("previous_status", before.tradeStatus().name())
                .bool("paid", after.paid())
                .string("total_amount", money(after.totalAmount()))
                .string("receipt_amount", money(after.receiptAmount()))
                .string("buyer_pay_amount", money(after.buyerPayAmount()))
                .string("refund_fee", money(after.refundFee()))
                .string("refund_delta", money(is.subtract(was).max(BigDecimal.ZERO)))
                .string("buyer_id", after.buyerId())
                .string("seller_id", after.sellerId())
                .string("gmt_payment", china(after.gmtPayment()))
                .string("gmt_refund", china(after.gmtRefund()))
                .string("gmt_close", china(after.gmtClose()))
                .bool("needs_attention", after.needsAttention())
                .string("attention_reason", after.attentionReason())
                .string("notify_id", n.notifyId())
                .string("notify_time", china(n.notifyTime()))
                .toString();
    }

    private static String money(BigDecimal m) {
        return m == null ? null : m.setScale(2, RoundingMode.UNNECESSARY).toPlainString();
    }

    private static String china(LocalDateTime t) {
        return t == null ? null : t.atOffset(CHINA).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
}
