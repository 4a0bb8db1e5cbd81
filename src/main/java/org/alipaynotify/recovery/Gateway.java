package org.alipaynotify.recovery;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import com.alipay.api.internal.util.SignSourceData;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alipaynotify.HttpPost;
import org.alipaynotify.Json;
import org.alipaynotify.Text;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.App;
import org.alipaynotify.keys.GatewayCredentials;

/**
 * One app's calls to Alipay's gateway (alipay.trade.query, the bill's download URL): a request signed with the app's
 * private key, the answer verified like the SDK verifies it (the signature over the exact raw text of the
 * {@code <method>_response} node, {@code error_response} for an error, retried once with {@code \/} as {@code /};
 * in certificate mode its {@code alipay_cert_sn} must be the certificate we trust), or refused.
 *
 * <p>Deliberately not the SDK's {@code DefaultAlipayClient}: merely constructing it sets the JVM-wide security
 * property {@code jdk.certpath.disabledAlgorithms} to empty, for every webapp of the container. Only
 * {@code AlipaySignature} is used, and the JDK's HttpURLConnection (no keep-alive: no thread to outlive an undeploy).
 */
final class Gateway {
    private static final ZoneId CHINA = ZoneId.of("Asia/Shanghai");
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final int MAX_ANSWER = 1 << 20;

    /** Why a call brought nothing we may act on. */
    static final class Unanswered extends Exception {
        private static final long serialVersionUID = 1L;
        /** A label of the metric alipay_notify_query_calls_total. */
        final String kind;

        Unanswered(String kind, String reason) {
            super(reason, null, false, false);
            this.kind = kind;
        }
    }

    /** A verified answer: the response node's members, and the body as received (the record keeps it whole). */
    record Answer(Map<String, Object> node, String body) {
        String text(String member) {
            Object v = node.get(member);
            return v == null ? null : v.toString();
        }

        boolean success() {
            return "10000".equals(text("code"));
        }
    }

    private final URI url;
    private final App app;
    private final GatewayCredentials credentials;
    private final int timeoutMs;
    private final Clock clock;

    Gateway(URI url, App app, GatewayCredentials credentials, int timeoutMs, Clock clock) {
        this.url = url;
        this.app = app;
        this.credentials = credentials;
        this.timeoutMs = timeoutMs;
        this.clock = clock;
    }

    App app() {
        return app;
    }

    Answer call(String method, String bizContent) throws Unanswered {
        String body = post(form(method, bizContent));
        return verify(method, body, app.key(), app.signType().name());
    }

    /** The request's parameters, signed (rule: every parameter but sign, sorted, k=v joined by &amp;). */
    Map<String, String> form(String method, String bizContent) throws Unanswered {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("app_id", app.appId());
        p.put("method", method);
        p.put("format", "JSON");
        p.put("charset", "utf-8");
        p.put("sign_type", app.signType().name());
        p.put("timestamp", TIMESTAMP.format(clock.instant().atZone(CHINA)));
        p.put("version", "1.0");
        p.put("biz_content", bizContent);
        if (credentials.appCertSn() != null) {
            p.put("app_cert_sn", credentials.appCertSn());
            p.put("alipay_root_cert_sn", credentials.rootCertSn());
        }
        try {
            p.put("sign", AlipaySignature.rsaSign(AlipaySignature.getSignContent(p), credentials.privateKeyBase64(),
                    "utf-8", app.signType().name()));
        } catch (AlipayApiException e) {
            throw new Unanswered("sign_error", "the request could not be signed with the app's private key ("
                    + e.getErrCode() + ")");
        }
        return p;
    }

    private String post(Map<String, String> form) throws Unanswered {
        StringBuilder b = new StringBuilder();
        form.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        byte[] out = b.toString().getBytes(StandardCharsets.US_ASCII);
        HttpPost.Answer a;
        try {
            a = HttpPost.send(url, timeoutMs, Map.of("Content-Type", "application/x-www-form-urlencoded;charset=utf-8"),
                    out, MAX_ANSWER);
        } catch (SocketTimeoutException e) {
            throw new Unanswered("timeout", "no answer within " + timeoutMs + " ms");
        } catch (IOException e) {
            throw new Unanswered("http_error", "the gateway could not be reached: " + Text.printable(e.toString(),
                    200));
        }
        if (a.status() != 200) {
            throw new Unanswered("http_error", "the gateway answered HTTP " + a.status());
        }
        if (a.tooLarge()) {
            throw new Unanswered("malformed", "the gateway's answer is larger than " + MAX_ANSWER + " bytes");
        }
        return new String(a.body(), StandardCharsets.UTF_8);
    }

    /**
     * What the SDK does with an answer: the node's exact text is what Alipay signed (never a re-serialisation: its
     * JSON escapes slashes and the order of members matters), checked with the configured sign type.
     */
    static Answer verify(String method, String body, AlipayKey alipayKey, String signType) throws Unanswered {
        Map<String, Object> parsed;
        try {
            Object root = Json.parse(body);
            if (!(root instanceof Map)) {
                throw new IllegalArgumentException("not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) root;
            parsed = m;
        } catch (IllegalArgumentException e) {
            throw new Unanswered("malformed", "the gateway's answer is not JSON: " + Text.printable(e.getMessage(),
                    100));
        }
        String node = method.replace('.', '_') + "_response";
        if (!parsed.containsKey(node) && parsed.containsKey("error_response")) {
            node = "error_response";
        }
        if (!(parsed.get(node) instanceof Map)) {
            throw new Unanswered("malformed", "the gateway's answer has no " + node);
        }
        String quoted = "\"" + node + "\"";
        int at = body.indexOf(quoted);
        if (body.indexOf(quoted, at + 1) >= 0) {
            // the SDK refuses this too: which of the two did Alipay sign?
            throw new Unanswered("unverifiable", "the answer names " + node + " twice");
        }
        Object sign = parsed.get("sign");
        if (!(sign instanceof String) || ((String) sign).isBlank()) {
            throw new Unanswered("unverifiable", "the answer carries no sign");
        }
        if (alipayKey.certificate().isPresent()) {
            Object sn = parsed.get("alipay_cert_sn");
            String trusted = GatewayCredentials.certSn(alipayKey.certificate().get());
            if (sn != null && !trusted.equals(sn)) {
                throw new Unanswered("unverifiable", "the answer was signed with Alipay's certificate " + sn
                        + ", not the one we trust (" + trusted + "): download Alipay's current public-key"
                        + " certificate from the console and replace the file");
            }
        }
        SignSourceData signed = AlipaySignature.extractSignContent(body, at + quoted.length() + 1);
        if (signed == null) {
            throw new Unanswered("unverifiable", "the signed text of " + node + " could not be found");
        }
        String content = signed.getSourceData();
        if (!check(content, (String) sign, alipayKey, signType)
                && !(content.contains("\\/") && check(content.replace("\\/", "/"), (String) sign, alipayKey,
                        signType))) {
            throw new Unanswered("unverifiable", "the answer's signature does not verify with the Alipay "
                    + (alipayKey.certificate().isPresent() ? "certificate" : "public key"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) parsed.get(node);
        return new Answer(fields, body);
    }

    private static boolean check(String content, String sign, AlipayKey key, String signType) {
        try {
            return AlipaySignature.rsaCheck(content, sign, key.publicKeyBase64(), "utf-8", signType);
        } catch (AlipayApiException | RuntimeException e) {
            return false;
        }
    }
}
