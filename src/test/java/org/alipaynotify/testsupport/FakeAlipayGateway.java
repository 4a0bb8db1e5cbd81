package org.alipaynotify.testsupport;

import com.alipay.api.internal.util.AlipaySignature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Alipay's open gateway for the tests: a real HTTP server on loopback that checks each request's signature with the
 * app's public key (and, in certificate mode, the serials it carries), and answers like Alipay, signed with a test
 * "Alipay" key: what each out_trade_no answers is scripted ({@link Script}). It also serves a bill zip.
 */
public final class FakeAlipayGateway implements AutoCloseable {
    /** How the gateway answers a question about one order. */
    public enum Script {
        PAID, FINISHED, CLOSED, WAITING, NOT_EXIST, ERROR_RESPONSE, TAMPERED, WRONG_CERT_SN, SLOW, SERVER_ERROR
    }

    /** One request as received: its method, its parameters, whether its signature verified. */
    public record Call(String method, Map<String, String> params, boolean signatureValid) {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final String appPublicKey;
    private final PrivateKey alipayKey;
    private final String alipayCertSn;
    private final String expectedAppCertSn;
    private final String expectedRootCertSn;
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private final Map<String, String> amounts = new ConcurrentHashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private volatile byte[] billZip;
    private volatile long slowMs = 3_000;

    /**
     * @param alipayCertSn the serial answers carry (certificate mode), or null (key mode)
     * @param expectedAppCertSn the app_cert_sn requests must carry, or null
     */
    public FakeAlipayGateway(String appPublicKeyBase64, PrivateKey alipayKey, String alipayCertSn,
            String expectedAppCertSn, String expectedRootCertSn) throws IOException {
        this.appPublicKey = appPublicKeyBase64;
        this.alipayKey = alipayKey;
        this.alipayCertSn = alipayCertSn;
        this.expectedAppCertSn = expectedAppCertSn;
        this.expectedRootCertSn = expectedRootCertSn;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 32);
        server.setExecutor(threads);
        server.createContext("/gateway.do", this::gateway);
        server.createContext("/bill/", this::bill);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/gateway.do");
    }

    public void script(String outTradeNo, Script script, String totalAmount) {
        scripts.put(outTradeNo, script);
        amounts.put(outTradeNo, totalAmount);
    }

    public void slowness(long ms) {
        slowMs = ms;
    }

    /** The zip the bill's download URL serves. */
    public void bill(byte[] zip) {
        billZip = zip.clone();
    }

    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public long callsAbout(String outTradeNo) {
        return calls().stream().filter(c -> c.params().getOrDefault("biz_content", "").contains("\"" + outTradeNo
                + "\"")).count();
    }

    private void gateway(HttpExchange exchange) throws IOException {
        byte[] raw;
        try (InputStream in = exchange.getRequestBody()) {
            raw = in.readAllBytes();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : new String(raw, StandardCharsets.US_ASCII).split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        boolean valid = verifyRequest(params);
        synchronized (calls) {
            calls.add(new Call(params.get("method"), params, valid));
        }
        String method = params.get("method");
        String node = method.replace('.', '_') + "_response";
        if (!valid) {
            answer(exchange, 200, signed("error_response", "{\"code\":\"40002\",\"msg\":\"Invalid Arguments\","
                    + "\"sub_code\":\"isv.invalid-signature\",\"sub_msg\":\"invalid signature\"}", false));
            return;
        }
        if (method.equals("alipay.data.dataservice.bill.downloadurl.query")) {
            answer(exchange, 200, signed(node, "{\"code\":\"10000\",\"msg\":\"Success\",\"bill_download_url\":"
                    + "\"http:\\/\\/127.0.0.1:" + server.getAddress().getPort() + "\\/bill\\/trade.zip\"}", false));
            return;
        }
        String biz = params.get("biz_content");
        String order = biz.replaceAll(".*\"out_trade_no\":\"([^\"]*)\".*", "$1");
        Script script = scripts.getOrDefault(order, Script.NOT_EXIST);
        String amount = amounts.getOrDefault(order, "0.01");
        String paid = "{\"code\":\"10000\",\"msg\":\"Success\",\"buyer_logon_id\":\"159****5620\","
                + "\"buyer_pay_amount\":\"" + amount + "\",\"buyer_user_id\":\"2088102177846880\","
                + "\"fund_bill_list\":[{\"amount\":\"" + amount + "\",\"fund_channel\":\"ALIPAYACCOUNT\"}],"
                + "\"invoice_amount\":\"" + amount + "\",\"out_trade_no\":\"" + order + "\",\"point_amount\":\"0.00\","
                + "\"receipt_amount\":\"" + amount + "\",\"send_pay_date\":\"2026-12-01 10:00:05\","
                + "\"total_amount\":\"" + amount + "\",\"trade_no\":\"" + tradeNo(order) + "\","
                + "\"trade_status\":\"%s\",\"store_name\":\"https:\\/\\/shop.example.com\\/a\"}";
        switch (script) {
            case PAID -> answer(exchange, 200, signed(node, String.format(paid, "TRADE_SUCCESS"), false));
            case FINISHED -> answer(exchange, 200, signed(node, String.format(paid, "TRADE_FINISHED"), false));
            case CLOSED -> answer(exchange, 200, signed(node, String.format(paid, "TRADE_CLOSED"), false));
            case WAITING -> answer(exchange, 200, signed(node, "{\"code\":\"10000\",\"msg\":\"Success\","
                    + "\"out_trade_no\":\"" + order + "\",\"total_amount\":\"" + amount + "\",\"trade_no\":\""
                    + tradeNo(order) + "\",\"trade_status\":\"WAIT_BUYER_PAY\"}", false));
            case NOT_EXIST -> answer(exchange, 200, signed(node, "{\"code\":\"40004\",\"msg\":\"Business Failed\","
                    + "\"sub_code\":\"ACQ.TRADE_NOT_EXIST\",\"sub_msg\":\"交易不存在\",\"out_trade_no\":\"" + order
                    + "\"}", false));
            case ERROR_RESPONSE -> answer(exchange, 200, signed("error_response", "{\"code\":\"20000\","
                    + "\"msg\":\"Service Currently Unavailable\",\"sub_code\":\"isp.unknow-error\"}", false));
            case TAMPERED -> answer(exchange, 200, signed(node, String.format(paid, "TRADE_SUCCESS"), true));
            case WRONG_CERT_SN -> answer(exchange, 200, signed(node, String.format(paid, "TRADE_SUCCESS"), false)
                    .replace("\"alipay_cert_sn\":\"" + alipayCertSn + "\"", "\"alipay_cert_sn\":\"0123456789abcdef\""));
            case SLOW -> {
                sleep(slowMs);
                answer(exchange, 200, signed(node, String.format(paid, "TRADE_SUCCESS"), false));
            }
            case SERVER_ERROR -> answer(exchange, 502, "<html>Bad Gateway</html>");
            default -> throw new IllegalStateException();
        }
    }

    /** Alipay's trade_no for an order: fixed per order, as Alipay's is. */
    public static String tradeNo(String order) {
        return "2026120122001" + String.format("%018d", Math.floorMod((long) order.hashCode() * 31 + 7,
                1_000_000_000_000_000L));
    }

    private boolean verifyRequest(Map<String, String> params) {
        Map<String, String> copy = new LinkedHashMap<>(params);
        String sign = copy.remove("sign");
        if (expectedAppCertSn != null && (!expectedAppCertSn.equals(params.get("app_cert_sn"))
                || !expectedRootCertSn.equals(params.get("alipay_root_cert_sn")))) {
            return false;
        }
        try {
            return AlipaySignature.rsaCheck(AlipaySignature.getSignContent(copy), sign, appPublicKey, "utf-8",
                    params.get("sign_type"));
        } catch (Exception e) {
            return false;
        }
    }

    /** {"node":{...},"alipay_cert_sn":"...","sign":"..."}: the signature over the node's exact text. */
    private String signed(String node, String content, boolean tamper) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("SHA256withRSA");
            s.initSign(alipayKey);
            s.update(content.getBytes(StandardCharsets.UTF_8));
            String sign = Base64.getEncoder().encodeToString(s.sign());
            String sent = tamper ? content.replace("\"total_amount\":\"", "\"total_amount\":\"1") : content;
            return "{\"" + node + "\":" + sent + (alipayCertSn == null ? "" : ",\"alipay_cert_sn\":\"" + alipayCertSn
                    + "\"") + ",\"sign\":\"" + sign + "\"}";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void bill(HttpExchange exchange) throws IOException {
        byte[] zip = billZip;
        if (zip == null) {
            answer(exchange, 404, "no bill");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/zip");
        exchange.sendResponseHeaders(200, zip.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(zip);
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html;charset=utf-8");
        exchange.sendResponseHeaders(status, b.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(b);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
