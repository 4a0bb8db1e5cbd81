package org.alipaynotify.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import org.alipaynotify.Notification;
import org.alipaynotify.Refused;

/**
 * Where an order and our facts about its trade live: our own {@code alipay_order} (the default), or the merchant's
 * table reached through their lookup statement with our facts kept in {@code alipay_trade}. Either way the order is
 * locked first, so every notification of one order serializes on that lock.
 */
interface OrderStore {
    /**
     * The order locked for this transaction, as the state table sees it.
     *
     * @param row      the facts with the order's amount; a merchant's local close shows as TRADE_CLOSED unpaid
     * @param orderId  the order's id as stored, when the store knows it (a collation may match another spelling)
     * @param appId    the app the order belongs to, when the store knows it; null: any app
     * @param closedAfterPayment the merchant closed the order by hand although it is paid and not refunded (a close
     *                 that raced the payment): the order needs a person
     */
    record Locked(OrderRow row, String orderId, String appId, boolean closedAfterPayment) {
    }

    /** Locks the order of this notification, or returns null when there is none. */
    Locked lock(Connection c, Notification n) throws SQLException, Refused;

    /** Writes the facts after the change (same transaction); {@code lastNotifyId} null keeps the one stored. */
    void save(Connection c, Notification n, OrderRow next, String lastNotifyId) throws SQLException;
}
