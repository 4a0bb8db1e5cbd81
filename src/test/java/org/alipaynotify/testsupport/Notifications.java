package org.alipaynotify.testsupport;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.alipaynotify.dev.SandboxKeys;

/** Realistic trade_status_sync parameter sets, unique per call. */
public final class Notifications {
    public static final String APP_ID = "2021000000000001";
    private static final AtomicLong SEQ = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L * 1000);

    private Notifications() {
    }

    public static String uniqueId(String prefix) {
        return prefix + SEQ.incrementAndGet();
    }

    /** A TRADE_SUCCESS notification for the order, with a fresh notify_id. */
    public static Map<String, String> tradeSuccess(String outTradeNo, String totalAmount) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("gmt_create", "2026-11-25 10:00:00");
        p.put("charset", "utf-8");
        p.put("seller_email", "shop@example.com");
        p.put("subject", "测试商品 A+B 套餐");
        p.put("buyer_id", "2088102000000001");
        p.put("invoice_amount", totalAmount);
        p.put("notify_id", uniqueId("2026112500222"));
        p.put("fund_bill_list", "[{\"amount\":\"" + totalAmount + "\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
        p.put("notify_type", "trade_status_sync");
        p.put("trade_status", "TRADE_SUCCESS");
        p.put("receipt_amount", totalAmount);
        p.put("buyer_pay_amount", totalAmount);
        p.put("app_id", APP_ID);
        p.put("seller_id", SandboxKeys.PID);
        p.put("gmt_payment", "2026-11-25 10:00:05");
        p.put("notify_time", "2026-11-25 10:00:06");
        p.put("version", "1.0");
        p.put("out_trade_no", outTradeNo);
        p.put("total_amount", totalAmount);
        p.put("trade_no", uniqueId("20261125220014"));
        p.put("auth_app_id", APP_ID);
        p.put("buyer_logon_id", "bu***@example.com");
        p.put("point_amount", "0.00");
        return p;
    }

    /** The same trade in another state, as a new notification (new notify_id). */
    public static Map<String, String> next(Map<String, String> base, String tradeStatus) {
        Map<String, String> p = new LinkedHashMap<>(base);
        p.remove("sign");
        p.remove("sign_type");
        p.put("notify_id", uniqueId("2026112500333"));
        p.put("trade_status", tradeStatus);
        return p;
    }
}
