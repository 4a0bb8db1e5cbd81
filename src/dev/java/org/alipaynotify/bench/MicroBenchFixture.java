package org.alipaynotify.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;

/**
 * What the micro-benchmarks measure on: a fresh sandbox key with its certificate in a temp directory (the SDK's
 * certificate mode reads a file path), and one signed TRADE_SUCCESS notification as Alipay sends it: 23 fields plus
 * sign and sign_type, utf-8, a subject with Chinese text and a '+' (which the body carries as %2B).
 */
public final class MicroBenchFixture implements AutoCloseable {
    public final SandboxKeys keys = SandboxKeys.generate();
    public final Path dir;
    public final Path certFile;
    /** The notification's fields, sign and sign_type included; never handed to the SDK itself (it removes those two). */
    public final Map<String, String> signed;
    /** The form-encoded request body of {@link #signed}. */
    public final byte[] body;

    public MicroBenchFixture() {
        try {
            dir = Files.createTempDirectory("alipay-notify-jmh");
            certFile = keys.writeCertificate(dir.resolve(SandboxKeys.CERT_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        signed = Collections.unmodifiableMap(new AlipaySigner(keys.keyPair().getPrivate()).signed(tradeSuccess(), "RSA2"));
        body = AlipaySigner.formBody(signed);
    }

    /**
     * Field values shaped like a real sandbox notification (same set as the tests' Notifications.tradeSuccess); a
     * fresh mutable map, which {@link Benchmark} makes distinct per notification.
     */
    static Map<String, String> tradeSuccess() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("gmt_create", "2026-11-25 10:00:00");
        p.put("charset", "utf-8");
        p.put("seller_email", "shop@example.com");
        p.put("subject", "测试商品 A+B 套餐");
        p.put("buyer_id", "2088102000000001");
        p.put("invoice_amount", "88.80");
        p.put("notify_id", "2026112500222000000000123456");
        p.put("fund_bill_list", "[{\"amount\":\"88.80\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
        p.put("notify_type", "trade_status_sync");
        p.put("trade_status", "TRADE_SUCCESS");
        p.put("receipt_amount", "88.80");
        p.put("buyer_pay_amount", "88.80");
        p.put("app_id", "2021000000000001");
        p.put("seller_id", SandboxKeys.PID);
        p.put("gmt_payment", "2026-11-25 10:00:05");
        p.put("notify_time", "2026-11-25 10:00:06");
        p.put("version", "1.0");
        p.put("out_trade_no", "bench-order-000001");
        p.put("total_amount", "88.80");
        p.put("trade_no", "2026112522001400000000123456");
        p.put("auth_app_id", "2021000000000001");
        p.put("buyer_logon_id", "bu***@example.com");
        p.put("point_amount", "0.00");
        return p;
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
