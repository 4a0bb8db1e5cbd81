package org.alipaynotify.recovery;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.alipaynotify.Ledger;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.Settings;
import org.alipaynotify.config.SettingsException;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.GatewayCredentials;

/**
 * The nets for payments whose notification never comes, as the settings turn them on: the active query
 * ({@code query.enabled}) and the daily bill ({@code bill.enabled}). Both ask Alipay's gateway with each app's own
 * key and apply what they learn through the same ledger as a notification.
 */
public final class Recovery implements AutoCloseable {
    private final ActiveQuery query;
    private final DailyBill bill;

    private Recovery(ActiveQuery query, DailyBill bill) {
        this.query = query;
        this.bill = bill;
    }

    /**
     * Checks the credentials and starts what is on; returns null when neither is.
     *
     * @param waitingSql which orders wait for payment (null with your own table and no order.waiting-sql)
     * @param factsTable where our facts about each trade are, for the bill's comparison
     */
    public static Recovery start(Settings settings, Apps apps, DataSource dataSource, Ledger ledger, String waitingSql,
            String factsTable, Clock clock, String instance) {
        if (!settings.queryEnabled() && !settings.billEnabled()) {
            return null;
        }
        if (settings.queryEnabled() && waitingSql == null) {
            throw new SettingsException(Settings.ORDER_WAITING_SQL, "is required with " + Settings.QUERY_ENABLED
                    + "=true and your own order table: a SELECT of out_trade_no and age_seconds of the orders that"
                    + " wait for payment");
        }
        Map<String, Gateway> gateways = new HashMap<>();
        List<Gateway> all = new ArrayList<>();
        for (AppSettings s : settings.apps()) {
            App app = apps.byAppId(s.appId());
            Gateway g = new Gateway(settings.gatewayUrl(), app, GatewayCredentials.load(s), settings.queryTimeoutMs(),
                    clock);
            gateways.put(s.appId(), g);
            all.add(g);
        }
        ActiveQuery query = null;
        if (settings.queryEnabled()) {
            query = new ActiveQuery(dataSource, ledger, gateways, waitingSql, settings.queryPerMinute(), clock,
                    instance);
            query.start();
        }
        DailyBill bill = null;
        if (settings.billEnabled()) {
            bill = new DailyBill(dataSource, all, factsTable, query, settings.billRunAt(), settings.queryTimeoutMs(),
                    clock);
            bill.start();
        }
        return new Recovery(query, bill);
    }

    /** The active query, or null when it is off. */
    public ActiveQuery query() {
        return query;
    }

    /** The daily bill, or null when it is off. */
    public DailyBill bill() {
        return bill;
    }

    @Override
    public void close() {
        if (bill != null) {
            bill.close();
        }
        if (query != null) {
            query.close();
        }
    }
}
