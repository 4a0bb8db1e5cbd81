package org.alipaynotify.dev;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import static org.alipaynotify.request.NotifyServlet.OUTCOME_HEADER;
import static org.alipaynotify.request.NotifyServlet.REASON_HEADER;

/**
 * The notification simulator, {@code stripe trigger} for Alipay: signs a trade notification the way Alipay does
 * (rule V1, RSA2, utf-8 or gbk) with a private key (the local run's sandbox key by default) and posts it, printing what
 * it sent and the answer. Run it with {@code bin/simulate --help}.
 */
public final class Simulate {
    /** Alipay's redelivery intervals after the first try: 8 tries over about 25 hours. */
    public static final List<Duration> ALIPAY_RETRY_INTERVALS = List.of(Duration.ofMinutes(4),
            Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(2),
            Duration.ofHours(6), Duration.ofHours(15));
    private static final DateTimeFormatter ALIPAY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final String USAGE = String.join("\n",
            "usage: bin/simulate [options]",
            "  --url URL            where to post (default: where the local run listens, else",
            "                       http://127.0.0.1:8080/alipay/notify)",
            "  --order NO           out_trade_no (default demo-0001)",
            "  --amount YUAN        total_amount (default: the demo order's amount, demo-0001 88.80, demo-0002 0.01,",
            "                       demo-0003 1999.00, demo-0004 66.60, demo-0005 100.00; required for other orders)",
            "  --status STATE       trade_status: TRADE_SUCCESS (default), TRADE_FINISHED, TRADE_CLOSED, WAIT_BUYER_PAY",
            "  --refund-fee YUAN    cumulative refunded amount (adds gmt_refund and out_biz_no)",
            "  --charset CS         utf-8 (default) or gbk; signed over bytes in it even when --set charset=",
            "                       removes the field (an older GBK app's notification)",
            "  --notify-id ID       (default: a new one; reuse one to simulate a redelivery)",
            "  --app-id ID          (default: the app id the local run serves)",
            "  --seller-id PID      (default: the local run's seller id, else the sandbox PID)",
            "  --key FILE           PKCS#8 private key, PEM or base64 (default: the local run's sandbox key)",
            "  --sign-type T        RSA2 (SHA256withRSA) or RSA (SHA1withRSA); default: the local run's, else RSA2",
            "  --set KEY=VALUE      add or replace a field, repeatable (an empty value removes it)",
            "  --retry              redeliver on Alipay's schedule (4m 10m 10m 1h 2h 6h 15h), compressed,",
            "                       until the answer is exactly 'success'",
            "  --time-scale N       compress the schedule N times (default 1000: the 25 hours take 90 s)",
            "  --concurrent N       send N identical deliveries at once",
            "  --out FILE           write the signed body to FILE instead of posting it",
            "  --local-dir DIR      the local run's directory (default target/local-run)");

    private Simulate() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** @return the exit code: 0 when the (last) answer was {@code success} or the body was written, else 1 or 2 */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("simulate: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (o.help) {
            out.println(USAGE);
            return 0;
        }
        try {
            o.useLocalRun();
            Map<String, String> params = o.params();
            java.nio.charset.Charset charset = java.nio.charset.Charset.forName(o.charset);
            Map<String, String> signed = new AlipaySigner(o.privateKey()).signed(params, o.signType, charset);
            byte[] body = AlipaySigner.formBody(signed, charset);
            out.println("Notification (" + o.charset + ", " + o.signType + "):");
            new TreeMap<>(signed).forEach((k, v) -> out.println("  " + k + "=" + v));
            if (o.out != null) {
                Files.write(o.out, body);
                out.println("Wrote the signed body (" + body.length + " bytes) to " + o.out);
                return 0;
            }
            out.println("POST " + o.url);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            if (o.concurrent > 1) {
                return concurrent(client, o, body, out);
            }
            int tries = o.retry ? ALIPAY_RETRY_INTERVALS.size() + 1 : 1;
            boolean explained = false;
            boolean answered = false;
            for (int attempt = 1; attempt <= tries; attempt++) {
                Delivery d = deliver(client, o.url, body, "try " + attempt + "/" + tries, out);
                if (d.answered()) {
                    answered = true;
                    explained |= d.explained();
                }
                if ("success".equals(d.body())) {
                    return 0;
                }
                if (attempt < tries) {
                    Duration wait = ALIPAY_RETRY_INTERVALS.get(attempt - 1).dividedBy(o.timeScale);
                    out.println("  next try in " + wait.toMillis() + " ms (Alipay: "
                            + ALIPAY_RETRY_INTERVALS.get(attempt - 1) + ")");
                    Thread.sleep(wait.toMillis());
                }
            }
            if (answered && !explained) {
                out.println("(The reason is in the webapp's log line for notify_id=" + signed.get("notify_id")
                        + "; only the local run names it in the answer.)");
            }
            out.println(o.retry ? "No 'success' answer after " + tries + " tries: Alipay would give up now."
                    : "No 'success' answer: Alipay would deliver it again " + ALIPAY_RETRY_INTERVALS.size()
                            + " times over about 25 hours (--retry plays that schedule, compressed).");
            return 1;
        } catch (IOException e) {
            err.println("simulate: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        }
    }

    /** One try: the answer's body (null: none), and whether the webapp named its outcome (the local run does). */
    record Delivery(String body, boolean explained) {
        boolean answered() {
            return body != null;
        }
    }

    private static Delivery deliver(HttpClient client, URI url, byte[] body, String label, PrintStream out)
            throws InterruptedException {
        long started = System.nanoTime();
        try {
            HttpResponse<String> r = client.send(request(url, body), HttpResponse.BodyHandlers.ofString());
            out.println("  " + label + ": HTTP " + r.statusCode() + " '" + r.body() + "' ("
                    + (System.nanoTime() - started) / 1_000_000 + " ms)");
            java.util.Optional<String> outcome = r.headers().firstValue(OUTCOME_HEADER);
            outcome.ifPresent(name -> out.println("    " + name + ": "
                    + r.headers().firstValue(REASON_HEADER).orElse("")));
            return new Delivery(r.body(), outcome.isPresent());
        } catch (java.net.ConnectException e) {
            out.println("  " + label + ": no answer: nothing listens at " + url + " (" + e + "). Start the local run"
                    + " first (./mvnw jetty:run, then wait for \"alipay-notify ... ready\"), or check --url.");
            return new Delivery(null, false);
        } catch (IOException e) {
            out.println("  " + label + ": no answer (" + e + ")");
            return new Delivery(null, false);
        }
    }

    private static int concurrent(HttpClient client, Options o, byte[] body, PrintStream out) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < o.concurrent; i++) {
            calls.add(client.sendAsync(request(o.url, body), HttpResponse.BodyHandlers.ofString()));
        }
        Map<String, Integer> answers = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            String answer;
            try {
                HttpResponse<String> r = call.join();
                answer = "HTTP " + r.statusCode() + " '" + r.body() + "'";
            } catch (RuntimeException e) {
                answer = "no answer (" + e.getCause() + ")";
            }
            answers.merge(answer, 1, Integer::sum);
        }
        out.println("  " + o.concurrent + " concurrent deliveries: " + answers);
        return answers.keySet().stream().allMatch(a -> a.endsWith("'success'")) ? 0 : 1;
    }

    private static HttpRequest request(URI url, byte[] body) {
        return HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static final class Options {
        URI url;
        String order = "demo-0001";
        String amount;
        String status = "TRADE_SUCCESS";
        String refundFee;
        String charset = "utf-8";
        String notifyId;
        String appId;
        String sellerId;
        Path key;
        String signType;
        Map<String, String> set = new LinkedHashMap<>();
        boolean retry;
        long timeScale = 1000;
        int concurrent = 1;
        Path out;
        Path localDir = Path.of(System.getProperty(EmbeddedLocalRun.DIR_PROPERTY, EmbeddedLocalRun.DEFAULT_DIR));
        boolean help;
        /** What the local run wrote about itself (local-run.properties); empty when there is none. */
        Properties run = new Properties();
        boolean runFound;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help": case "-h": o.help = true; break;
                    case "--retry": o.retry = true; break;
                    case "--url": o.url = URI.create(value(args, ++i, a)); break;
                    case "--order": o.order = value(args, ++i, a); break;
                    case "--amount": o.amount = value(args, ++i, a); break;
                    case "--status": o.status = value(args, ++i, a); break;
                    case "--refund-fee": o.refundFee = value(args, ++i, a); break;
                    case "--charset": o.charset = value(args, ++i, a).toLowerCase(java.util.Locale.ROOT); break;
                    case "--notify-id": o.notifyId = value(args, ++i, a); break;
                    case "--app-id": o.appId = value(args, ++i, a); break;
                    case "--seller-id": o.sellerId = value(args, ++i, a); break;
                    case "--key": o.key = Path.of(value(args, ++i, a)); break;
                    case "--sign-type": o.signType = value(args, ++i, a).toUpperCase(java.util.Locale.ROOT); break;
                    case "--time-scale": o.timeScale = positive(value(args, ++i, a), a); break;
                    case "--concurrent": o.concurrent = (int) positive(value(args, ++i, a), a); break;
                    case "--out": o.out = Path.of(value(args, ++i, a)); break;
                    case "--local-dir": o.localDir = Path.of(value(args, ++i, a)); break;
                    case "--set": {
                        String kv = value(args, ++i, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + kv + "'");
                        }
                        o.set.put(kv.substring(0, eq), kv.substring(eq + 1));
                        break;
                    }
                    default: throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (!o.charset.equals("utf-8") && !o.charset.equals("gbk")) {
                throw new IllegalArgumentException("--charset must be utf-8 or gbk");
            }
            if (o.signType != null && !o.signType.equals("RSA2") && !o.signType.equals("RSA")) {
                throw new IllegalArgumentException("--sign-type must be RSA2 or RSA");
            }
            if (o.amount == null) {
                // another amount than the order's is an AMOUNT_MISMATCH, which is not what a plain call means
                o.amount = EmbeddedLocalRun.DEMO_ORDERS.get(o.order);
                if (o.amount == null && !o.help) {
                    throw new IllegalArgumentException("--amount is required for " + o.order + ", which is not a"
                            + " demo order (" + EmbeddedLocalRun.DEMO_ORDERS + ")");
                }
            }
            return o;
        }

        /**
         * Takes what the options leave open from what the local run wrote about itself: where it listens, the app
         * id, seller id and sign type it serves.
         */
        void useLocalRun() throws IOException {
            Path file = localDir.resolve(EmbeddedLocalRun.RUN_PROPERTIES);
            if (Files.isRegularFile(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    run.load(in);
                }
                runFound = true;
            }
            if (url == null) {
                url = URI.create(run.getProperty("url", "http://127.0.0.1:8080/alipay/notify"));
            }
            if (signType == null) {
                signType = run.getProperty("sign-type", "RSA2");
            }
        }

        static String tradeNoOf(String order) {
            try {
                long h = java.nio.ByteBuffer.wrap(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(order.getBytes(StandardCharsets.UTF_8))).getLong();
                return "2026112522001" + String.format("%018d", Math.floorMod(h, 1_000_000_000_000_000L));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        Map<String, String> params() throws IOException {
            String app = appId != null ? appId : run.getProperty("app-id");
            if (app == null) {
                throw new IOException("no --app-id, and " + noRun());
            }
            LocalDateTime now = LocalDateTime.now(java.time.ZoneId.of("Asia/Shanghai"));
            // One order, one trade: Alipay's trade_no stays the same through payment, refunds and close (another
            // one is a second trade for the same order, which is flagged). --set trade_no=... makes another.
            String tradeNo = tradeNoOf(order);
            Map<String, String> p = new LinkedHashMap<>();
            p.put("gmt_create", now.minusSeconds(30).format(ALIPAY_TIME));
            p.put("charset", charset);
            p.put("seller_email", "sandbox-seller@example.com");
            p.put("subject", "演示订单 " + order + " (demo+sandbox)");
            p.put("buyer_id", "2088102177000001");
            p.put("invoice_amount", amount);
            p.put("notify_id", notifyId != null ? notifyId
                    : now.format(DateTimeFormatter.ofPattern("yyyyMMdd")) + "00222"
                            + String.format("%025d", Math.abs(ThreadLocalRandom.current().nextLong())));
            p.put("fund_bill_list", "[{\"amount\":\"" + amount + "\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
            p.put("notify_type", "trade_status_sync");
            p.put("trade_status", status);
            p.put("receipt_amount", amount);
            p.put("buyer_pay_amount", amount);
            p.put("app_id", app);
            p.put("seller_id", sellerId != null ? sellerId : run.getProperty("seller-id", SandboxKeys.PID));
            p.put("gmt_payment", now.minusSeconds(25).format(ALIPAY_TIME));
            p.put("notify_time", now.format(ALIPAY_TIME));
            p.put("version", "1.0");
            p.put("out_trade_no", order);
            p.put("total_amount", amount);
            p.put("trade_no", tradeNo);
            p.put("auth_app_id", app);
            p.put("buyer_logon_id", "dem***@example.com");
            p.put("point_amount", "0.00");
            if (refundFee != null) {
                p.put("refund_fee", refundFee);
                p.put("gmt_refund", now.format(ALIPAY_TIME) + ".000");
                p.put("out_biz_no", "refund-" + now.format(DateTimeFormatter.ofPattern("HHmmss")));
            }
            if (status.equals("TRADE_CLOSED")) {
                p.put("gmt_close", now.format(ALIPAY_TIME));
            }
            set.forEach((k, v) -> {
                if (v.isEmpty()) {
                    p.remove(k);
                } else {
                    p.put(k, v);
                }
            });
            return p;
        }

        PrivateKey privateKey() throws IOException {
            if (key != null) {
                if (!Files.isRegularFile(key)) {
                    throw new IOException("no private key at " + key);
                }
                return SandboxKeys.readPrivateKey(key);
            }
            if (!runFound) {
                throw new IOException("no --key, and " + noRun());
            }
            String sandboxKey = run.getProperty("private-key");
            if (sandboxKey == null) {
                throw new IOException("the local run in " + localDir + " trusts " + run.getProperty("trusts", "a key")
                        + " for app id " + run.getProperty("app-id", "?") + ", not the sandbox certificate, so there is"
                        + " no key to sign with by default: give --key with the private key of that certificate"
                        + " or public key (a test key pair of your own; Alipay's private key is nobody's), or start"
                        + " the local run without " + org.alipaynotify.config.Settings.CERT_PATH + " and "
                        + org.alipaynotify.config.Settings.PUBLIC_KEY + " to use the sandbox");
            }
            Path file = Path.of(sandboxKey);
            if (!Files.isRegularFile(file)) {
                throw new IOException("the sandbox private key " + file + " named in " + localDir.resolve(
                        EmbeddedLocalRun.RUN_PROPERTIES) + " is gone: start the local run again (./mvnw jetty:run)"
                        + " to make a new one, or give --key");
            }
            return SandboxKeys.readPrivateKey(file);
        }

        private String noRun() {
            return "no local run has started in " + localDir + " (" + EmbeddedLocalRun.RUN_PROPERTIES + " is"
                    + " missing): start it first with ./mvnw jetty:run, or give --url, --key and --app-id";
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static long positive(String v, String option) {
            try {
                long n = Long.parseLong(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new IllegalArgumentException(option + " must be a positive whole number, got '" + v + "'");
        }
    }

}
