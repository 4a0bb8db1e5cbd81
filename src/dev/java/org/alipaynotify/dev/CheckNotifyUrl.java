package org.alipaynotify.dev;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code bin/check-notify-url https://shop.example.com/alipay/notify}: checks a notify_url from the outside the way
 * Alipay will use it, before Alipay does, and prints one line per finding with its fix. The most common failure in
 * the field is a notification that never arrives (a private address, plain http, a redirect, a login filter, a proxy
 * error page, a certificate a public client refuses): the buyer paid and the order still waits, and nothing on our
 * side logs anything, because nothing arrives.
 *
 * <p>One file on the JDK alone, so the script runs it with the source launcher ({@code java CheckNotifyUrl.java}):
 * an operator needs a JDK and this repository, not Maven, the webapp or its database. It is not in the WAR: it runs
 * against the public URL from wherever the operator is, and a webapp checking its own URL from inside would not see
 * what the internet sees. Exit code 0 when every check passed, 3 when only warnings remain, 1 when one failed, 2 for a
 * usage error.
 */
public final class CheckNotifyUrl {
    /**
     * Alipay does not document its timeout. A healthy alipay-notify refuses an unsigned notification in milliseconds
     * (before any database access), so 5 s for the whole exchange (connect, TLS, request, answer) leaves a wide margin
     * while staying at or below what payment notifiers are commonly given (WeChat Pay documents 5 s); an answer that
     * needs longer means something in front is slow, and Alipay may give up first.
     */
    static final int DEFAULT_TIMEOUT_SECONDS = 5;
    /** Certificates are renewed 30 days ahead (Let's Encrypt's own schedule); later than that, renewal has failed. */
    static final int WARN_DAYS = 30;
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_WARNINGS = 3;
    /** More than this is not an answer alipay-notify gives; stop reading there. */
    private static final int MAX_RESPONSE_BYTES = 256 * 1024;
    private static final DateTimeFormatter ALIPAY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.of("Asia/Shanghai"));
    private static final String USAGE = String.join("\n",
            "usage: bin/check-notify-url [options] URL",
            "  Checks a notify_url the way Alipay reaches it: a public address, https with a certificate the JDK's",
            "  default trust store accepts (chain, host name, expiry), no query string, no redirect, and an unsigned",
            "  test notification answered 4xx 'failure' by alipay-notify itself within the time limit, a GET 405.",
            "  The test notification is refused before any database access; alipay-notify logs it as a refusal",
            "  with notify_id=check-notify-url-<time>.",
            "  --timeout-seconds N          limit for each exchange: connect, TLS, request, answer (default "
                    + DEFAULT_TIMEOUT_SECONDS + ")",
            "  --allow-private-for-testing  a loopback or private address is noted, not a failure (tests only:",
            "                               Alipay cannot reach such an address)",
            "  --ca-file FILE               trust the CA certificates in this PEM file instead of the JDK's default",
            "                               trust store (tests only: Alipay trusts public CAs)",
            "  exit code: 0 every check passed, 3 warnings only, 1 a check failed, 2 usage error");

    enum Level { PASS, INFO, WARN, FAIL }

    /** One printed line. */
    record Finding(Level level, String check, String text) {
        String line() {
            return String.format("%-5s %-10s %s", level, check, text);
        }
    }

    private final URI url;
    private final String host;
    private final boolean https;
    private final int port;
    private final boolean allowPrivate;
    private final Path caFile;
    private final Duration limit;
    private final PrintStream out;
    private final List<Finding> findings = new ArrayList<>();

    private CheckNotifyUrl(URI url, boolean allowPrivate, Path caFile, Duration limit, PrintStream out) {
        this.url = url;
        String h = url.getHost();
        this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.https = "https".equalsIgnoreCase(url.getScheme());
        this.port = url.getPort() >= 0 ? url.getPort() : https ? 443 : 80;
        this.allowPrivate = allowPrivate;
        this.caFile = caFile;
        this.limit = limit;
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** Parses the arguments, runs every check, prints the findings and a result line; answers the exit code. */
    static int run(String[] args, PrintStream out) {
        boolean allowPrivate = false;
        Path caFile = null;
        int timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        String target = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help":
                    case "-h":
                        out.println(USAGE);
                        return EXIT_OK;
                    case "--allow-private-for-testing":
                        allowPrivate = true;
                        break;
                    case "--ca-file":
                        caFile = Path.of(value(args, ++i, a));
                        break;
                    case "--timeout-seconds":
                        timeoutSeconds = Integer.parseInt(value(args, ++i, a));
                        if (timeoutSeconds < 1 || timeoutSeconds > 120) {
                            throw new IllegalArgumentException("--timeout-seconds must be between 1 and 120");
                        }
                        break;
                    default:
                        if (a.startsWith("-") || target != null) {
                            throw new IllegalArgumentException("unexpected argument '" + a + "'");
                        }
                        target = a;
                }
            }
            if (target == null) {
                throw new IllegalArgumentException("the URL is missing");
            }
            URI url = new URI(target);
            if (url.getScheme() == null || !url.getScheme().matches("(?i)https?") || url.getHost() == null) {
                throw new IllegalArgumentException("give the whole URL, such as https://shop.example.com/alipay/notify"
                        + " (got '" + target + "')");
            }
            if (caFile != null && !Files.isReadable(caFile)) {
                throw new IllegalArgumentException("--ca-file " + caFile + " cannot be read");
            }
            return new CheckNotifyUrl(url, allowPrivate, caFile, Duration.ofSeconds(timeoutSeconds), out).check();
        } catch (IllegalArgumentException | URISyntaxException e) {
            out.println("check-notify-url: " + e.getMessage());
            out.println(USAGE);
            return EXIT_USAGE;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private int check() {
        if (caFile != null) {
            add(Level.INFO, "trust", "trusting only the CA certificates in " + caFile + ", not the JDK's default trust"
                    + " store (for tests: Alipay trusts public CAs)");
        }
        if (https) {
            add(Level.PASS, "scheme", "https");
        } else {
            add(Level.FAIL, "scheme", "plain http: the notification (amounts, buyer and trade ids) crosses the internet"
                    + " readable and alterable. Use https:// with a certificate from a public CA (nginx: listen 443"
                    + " ssl, see deploy/nginx/alipay-notify.conf) and set that URL as notify_url");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            add(Level.FAIL, "query", "the URL carries " + (url.getRawQuery() != null ? "a query string (?"
                    + url.getRawQuery() + ")" : "a fragment (#" + url.getRawFragment() + ")") + ": Alipay refuses or"
                    + " drops a notify_url with its own parameters. Use the bare path, such as "
                    + url.getScheme() + "://" + url.getRawAuthority() + url.getRawPath());
        } else {
            add(Level.PASS, "query", "no query string");
        }
        List<InetAddress> targets = resolve();
        for (InetAddress address : targets) {
            checkServer(address, targets.size() > 1 ? "[" + address.getHostAddress() + "] " : "");
        }
        return result();
    }

    /** The addresses to connect to, after judging every address the name has; empty when it does not resolve. */
    private List<InetAddress> resolve() {
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            add(Level.FAIL, "address", host + " does not resolve here: publish an A record for it in public DNS");
            return List.of();
        }
        Set<InetAddress> unique = new LinkedHashSet<>(List.of(all));
        List<String> shown = new ArrayList<>();
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (InetAddress a : unique) {
            String why = nonPublic(a);
            String is = host.equals(a.getHostAddress()) ? host + " is" : host + " resolves to " + a.getHostAddress()
                    + ",";
            if (why == null) {
                shown.add(a.getHostAddress());
            } else if (allowPrivate) {
                add(Level.INFO, "address", is + " " + why + ": allowed by --allow-private-for-testing (Alipay could not reach it)");
            } else {
                add(Level.FAIL, "address", is + " " + why + ": Alipay"
                        + " connects from the internet and cannot reach it. Publish the public address of your proxy"
                        + " or load balancer (with split-horizon DNS, check the name from outside your network)");
            }
            (a.getAddress().length == 4 ? v4 : v6).add(a);
        }
        if (!shown.isEmpty()) {
            add(Level.PASS, "address", host + " resolves to " + String.join(", ", shown) + " (public)");
        }
        if (v4.isEmpty()) {
            add(Level.WARN, "address", host + " has IPv6 addresses only: Alipay does not document that it delivers"
                    + " over IPv6. Publish an A record too");
            return v6.subList(0, Math.min(4, v6.size()));
        }
        // Checked over IPv4 only: an IPv6 address this machine cannot route to would fail for reasons of its own.
        return v4.subList(0, Math.min(4, v4.size()));
    }

    private void checkServer(InetAddress address, String tag) {
        String form = testNotification(Instant.now());
        Exchange post = exchange(address, "POST", form.getBytes(StandardCharsets.US_ASCII), tag);
        if (post == null) {
            return;
        }
        if (post.tls != null && post.tls.chain != null) { // no chain: the handshake never got that far
            judgeTls(post.tls, tag);
        }
        judgePost(post, tag);
        Exchange get = exchange(address, "GET", null, tag);
        if (get != null) {
            judgeGet(get, tag);
        }
    }

    /**
     * What Alipay's first delivery looks like, without app_id and sign: alipay-notify refuses it at verification,
     * before any database access, and records it as a refusal naming this notify_id.
     */
    static String testNotification(Instant now) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("notify_type", "trade_status_sync");
        f.put("notify_id", "check-notify-url-" + now.toEpochMilli());
        f.put("notify_time", ALIPAY_TIME.format(now));
        f.put("charset", "utf-8");
        f.put("version", "1.0");
        f.put("out_trade_no", "check-notify-url");
        f.put("trade_status", "TRADE_SUCCESS");
        f.put("total_amount", "0.01");
        StringBuilder b = new StringBuilder();
        f.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return b.toString();
    }

    // ---- judging ----

    private void judgeTls(Tls tls, String tag) {
        X509Certificate leaf = tls.chain[0];
        Throwable dates = cause(tls.chainError, CertificateExpiredException.class, CertificateNotYetValidException.class);
        String issuer = leaf.getIssuerX500Principal().getName();
        if (tls.chainError == null) {
            add(Level.PASS, "tls-chain", tag + (caFile == null ? "trusted by the JDK's default trust store" : "trusted by "
                    + caFile) + " (issuer " + issuer + ", " + tls.protocol + ")");
        } else if (dates != null) {
            add(Level.INFO, "tls-chain", tag + "not judged past the certificate's dates (see tls-expiry); issuer "
                    + issuer);
        } else {
            add(Level.FAIL, "tls-chain", tag + "a public client refuses the certificate (" + message(tls.chainError)
                    + "). Serve a certificate from a public CA with its whole chain (leaf and intermediates, such as"
                    + " Let's Encrypt's fullchain.pem in nginx's ssl_certificate); self-signed and private-CA"
                    + " certificates are refused");
        }
        List<String> names = names(leaf);
        if (!hostMatches(host, leaf)) {
            add(Level.FAIL, "tls-name", tag + "the certificate is for " + names + ", not " + host + ": a public client"
                    + " refuses it. Get a certificate that names " + host + ", or make nginx serve it for this name"
                    + " (server_name and ssl_certificate of this server block)");
        } else if (tls.jdkError != null && tls.chainError == null) {
            add(Level.FAIL, "tls-name", tag + "the JDK's own host-name check refused the certificate for " + host
                    + " (" + message(tls.jdkError) + ")");
        } else {
            add(Level.PASS, "tls-name", tag + host + " matches the certificate " + names);
        }
        Instant now = Instant.now();
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        for (X509Certificate c : tls.chain) {
            notAfter = notAfter.isBefore(c.getNotAfter().toInstant()) ? notAfter : c.getNotAfter().toInstant();
            notBefore = notBefore.isAfter(c.getNotBefore().toInstant()) ? notBefore : c.getNotBefore().toInstant();
        }
        long days = Duration.between(now, notAfter).toDays();
        if (now.isBefore(notBefore)) {
            add(Level.FAIL, "tls-expiry", tag + "the certificate is not valid before " + notBefore + ": check the"
                    + " server's clock and the certificate");
        } else if (now.isAfter(notAfter)) {
            add(Level.FAIL, "tls-expiry", tag + "the certificate expired " + Duration.between(notAfter, now).toDays()
                    + " days ago (" + notAfter + "): Alipay cannot deliver until it is renewed. Renew it (certbot"
                    + " renew) and reload nginx (nginx -s reload)");
        } else if (days < WARN_DAYS) {
            add(Level.WARN, "tls-expiry", tag + "the certificate expires in " + days + " days (" + notAfter + "):"
                    + " renew it now; automatic renewal normally acts " + WARN_DAYS + " days ahead, so it is failing");
        } else {
            add(Level.PASS, "tls-expiry", tag + "valid for " + days + " more days (until " + notAfter + ")");
        }
    }

    private void judgePost(Exchange x, String tag) {
        long ms = x.elapsed.toMillis();
        if (x.timedOut) {
            add(Level.FAIL, "time", tag + "no complete answer to the POST within " + limit.toSeconds() + " s: Alipay"
                    + " may give up before it and count a failure. Find what is slow in front of alipay-notify (the"
                    + " webapp refuses this test in milliseconds)");
            return;
        }
        if (x.status >= 300 && x.status < 400) {
            add(Level.FAIL, "redirect", tag + redirect("POST", x));
        } else if (isExactly(x.body, "failure") && x.status >= 400 && x.status < 500) {
            add(Level.PASS, "post", tag + "an unsigned test notification was answered " + x.status + " \"failure\""
                    + " in " + ms + " ms, as alipay-notify answers it");
        } else if (new String(x.body, StandardCharsets.UTF_8).strip().replace("\uFEFF", "")
                .equalsIgnoreCase("success")) {
            add(Level.FAIL, "post", tag + "an unsigned test notification was answered " + x.status + " \"success\":"
                    + " whatever answers there acknowledges what it has not verified, so Alipay would stop"
                    + " delivering notifications nobody applied. Point notify_url at alipay-notify");
        } else {
            add(Level.FAIL, "post", tag + wrongAnswer("POST", x));
        }
        if (ms > limit.toMillis()) {
            add(Level.FAIL, "time", tag + "answered in " + ms + " ms, over the limit of " + limit.toSeconds() + " s");
        } else {
            add(Level.PASS, "time", tag + "answered in " + ms + " ms (limit " + limit.toSeconds() + " s)");
        }
    }

    private void judgeGet(Exchange x, String tag) {
        if (x.timedOut) {
            add(Level.FAIL, "get", tag + "no answer to a GET within " + limit.toSeconds() + " s");
        } else if (x.status >= 300 && x.status < 400) {
            add(Level.FAIL, "redirect", tag + redirect("GET", x));
        } else if (x.status == 405 && isExactly(x.body, "failure")) {
            add(Level.PASS, "get", tag + "a GET was answered 405 \"failure\", as alipay-notify answers it");
        } else {
            add(Level.FAIL, "get", tag + wrongAnswer("GET", x));
        }
    }

    private static String redirect(String method, Exchange x) {
        return method + " answered " + x.status + " to " + x.header("location").orElse("(no Location)")
                + ": Alipay does not follow redirects. Set notify_url to the final address, or serve the path"
                + " without the redirect (an http-to-https or www redirect in front catches it)";
    }

    /** What answered instead of alipay-notify, and where to look. */
    private static String wrongAnswer(String method, Exchange x) {
        String seen = method + " answered " + x.status + " " + describe(x);
        String type = x.header("content-type").orElse("").toLowerCase(Locale.ROOT);
        String text = new String(x.body, StandardCharsets.UTF_8);
        if (isExactly(x.body, "failure")) {
            return seen + ": alipay-notify answers this " + ("GET".equals(method) ? "405" : "with a 4xx")
                    + "; look at its log and /alipay/health";
        }
        if (text.contains("\uFEFF") || text.strip().equals("failure")) {
            return seen + ": not exactly \"failure\"; something in front rewrites the answer (a BOM or white space),"
                    + " and Alipay retries any answer but exactly \"success\"";
        }
        if (x.status == 404) {
            return seen + ": nothing answers at this path. alipay-notify serves /alipay/notify; check the path in"
                    + " notify_url and the proxy's location for it (nginx: location = /alipay/notify)";
        }
        if (x.status == 502 || x.status == 503 || x.status == 504) {
            return seen + ": the proxy's error page; it cannot reach alipay-notify (container down, wrong upstream"
                    + " address or port, or the upstream timed out)";
        }
        if (x.status == 401 || x.status == 407 || type.contains("html") || text.stripLeading().startsWith("<")) {
            return seen + ": a login, CSRF or firewall filter, or another application, answers instead of"
                    + " alipay-notify. Route this path to alipay-notify and exempt it from such filters";
        }
        return seen + ": that is not alipay-notify's answer; route this path to alipay-notify";
    }

    private static String describe(Exchange x) {
        String type = x.header("content-type").orElse("no content type");
        String text = new String(x.body, StandardCharsets.UTF_8);
        java.util.regex.Matcher title = java.util.regex.Pattern.compile("(?is)<title>(.*?)</title>").matcher(text);
        String shown = title.find() ? "title '" + title.group(1).strip() + "'" : "'" + printable(text, 60) + "'";
        return "(" + type + ", " + x.body.length + " bytes, " + shown + ")";
    }

    private static boolean isExactly(byte[] body, String answer) {
        return new String(body, StandardCharsets.ISO_8859_1).equals(answer);
    }

    private int result() {
        long failed = findings.stream().filter(f -> f.level == Level.FAIL).count();
        long warned = findings.stream().filter(f -> f.level == Level.WARN).count();
        if (failed > 0) {
            out.println("RESULT " + failed + " failed" + (warned > 0 ? ", " + warned + " warning(s)" : "")
                    + ": Alipay would not (or not reliably) deliver to " + url + "; fix the lines marked FAIL");
            return EXIT_FAILED;
        }
        if (warned > 0) {
            out.println("RESULT every check passed, " + warned + " warning(s): see the lines marked WARN");
            return EXIT_WARNINGS;
        }
        out.println("RESULT every check passed");
        return EXIT_OK;
    }

    private void add(Level level, String check, String text) {
        Finding f = new Finding(level, check, text);
        findings.add(f);
        out.println(f.line());
        out.flush();
    }

    // ---- addresses ----

    private record Range(byte[] network, int prefix, String name) {
        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Special-purpose ranges (IANA registries, RFC 6890 and later) that no client on the internet can reach. */
    private static final List<Range> NOT_PUBLIC = List.of(
            range("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
            range("10.0.0.0/8", "a private address (10.0.0.0/8)"),
            range("100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)"),
            range("127.0.0.0/8", "a loopback address (127.0.0.0/8)"),
            range("169.254.0.0/16", "a link-local address (169.254.0.0/16)"),
            range("172.16.0.0/12", "a private address (172.16.0.0/12)"),
            range("192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"),
            range("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
            range("192.168.0.0/16", "a private address (192.168.0.0/16)"),
            range("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
            range("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
            range("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
            range("224.0.0.0/4", "a multicast address (224.0.0.0/4)"),
            range("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
            range("::/128", "the unspecified address (::)"),
            range("::1/128", "the loopback address (::1)"),
            range("64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48)"),
            range("100::/64", "a discard-only address (100::/64)"),
            range("2001:db8::/32", "a documentation address (2001:db8::/32)"),
            range("fc00::/7", "a unique-local address (fc00::/7)"),
            range("fe80::/10", "a link-local address (fe80::/10)"),
            range("fec0::/10", "a site-local address (fec0::/10)"),
            range("ff00::/8", "a multicast address (ff00::/8)"));

    private static Range range(String cidr, String name) {
        int slash = cidr.indexOf('/');
        try {
            // literals only: getByName never looks a literal up
            return new Range(InetAddress.getByName(cidr.substring(0, slash)).getAddress(),
                    Integer.parseInt(cidr.substring(slash + 1)), name);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(cidr, e);
        }
    }

    /** Why no client on the internet reaches this address, or null when it is public. */
    static String nonPublic(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            byte[] v4 = java.util.Arrays.copyOfRange(a, 12, 16);
            for (Range r : NOT_PUBLIC) {
                if (r.contains(v4)) {
                    return r.name + ", IPv4-mapped";
                }
            }
            return null;
        }
        for (Range r : NOT_PUBLIC) {
            if (r.contains(a)) {
                return r.name;
            }
        }
        return null;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }

    // ---- certificates ----

    /** The certificate's names as a client matches them: its DNS and IP subject alternative names. */
    static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 2) {
                        names.add("DNS:" + san.get(1));
                    } else if (type == 7) {
                        names.add("IP:" + san.get(1));
                    }
                }
            }
        } catch (CertificateException e) {
            names.add("(unreadable subject alternative names)");
        }
        if (names.isEmpty()) {
            names.add("subject " + cert.getSubjectX500Principal().getName());
        }
        return names;
    }

    /**
     * RFC 6125 as the JDK applies it for HTTPS: an IP literal against IP names; a host name against DNS names (the
     * subject's CN only when there is none), a wildcard standing for exactly one whole left-most label.
     */
    static boolean hostMatches(String host, X509Certificate cert) {
        String h = host.toLowerCase(Locale.ROOT);
        h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        boolean literal = h.matches("[0-9.]+") || h.contains(":");
        List<String> dns = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 7 && literal && InetAddress.getByName(h).equals(InetAddress.getByName(
                            (String) san.get(1)))) {
                        return true;
                    }
                    if (type == 2) {
                        dns.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateException | UnknownHostException e) {
            return false;
        }
        if (literal) {
            return false;
        }
        if (dns.isEmpty()) {
            java.util.regex.Matcher cn = java.util.regex.Pattern.compile("(?:^|,)CN=([^,]+)")
                    .matcher(cert.getSubjectX500Principal().getName());
            if (cn.find()) {
                dns.add(cn.group(1).toLowerCase(Locale.ROOT));
            }
        }
        for (String pattern : dns) {
            if (pattern.equals(h)) {
                return true;
            }
            if (pattern.startsWith("*.")) {
                String rest = pattern.substring(1);
                int dot = h.indexOf('.');
                if (dot > 0 && h.substring(dot).equals(rest) && rest.indexOf('.', 1) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private X509ExtendedTrustManager trustManager() throws GeneralSecurityException, IOException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile == null) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            try (InputStream in = Files.newInputStream(caFile)) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
            }
            tmf.init(store);
        }
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }

    /** What the handshake showed: the chain, and the JDK's verdict on it alone and with the host name. */
    static final class Tls {
        X509Certificate[] chain;
        CertificateException chainError;
        CertificateException jdkError;
        String protocol;
    }

    /**
     * Records the server's chain and the real trust manager's verdicts instead of failing the handshake, so that one
     * run reports every problem: the checks go on with an untrusted certificate, and the result fails anyway.
     */
    private static final class Recording extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager real;
        private final Tls tls;

        Recording(X509ExtendedTrustManager real, Tls tls) {
            this.real = real;
            this.tls = tls;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            tls.chain = chain;
            try {
                real.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                tls.chainError = e;
            }
            try {
                real.checkServerTrusted(chain, authType, socket); // with the socket: host name too
            } catch (CertificateException e) {
                tls.jdkError = e;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("sockets only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("sockets only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return real.getAcceptedIssuers();
        }
    }

    // ---- HTTP/1.1 over a socket of our own ----

    /** One request and its answer; timedOut when the limit passed first. */
    static final class Exchange {
        Tls tls;
        int status;
        Map<String, String> headers = new LinkedHashMap<>();
        byte[] body = new byte[0];
        Duration elapsed;
        boolean timedOut;

        java.util.Optional<String> header(String name) {
            return java.util.Optional.ofNullable(headers.get(name));
        }
    }

    /**
     * A socket of our own rather than an HTTP client library: it connects to the address just judged (not to
     * whatever a second lookup returns), sends exactly one request on a fresh connection (no pooled connection, no
     * silent retry of the POST, no redirect followed) and holds the whole exchange to one deadline. Null when the
     * exchange could not be made (a finding says why).
     */
    private Exchange exchange(InetAddress address, String method, byte[] body, String tag) {
        Exchange x = new Exchange();
        long started = System.nanoTime();
        long deadline = started + limit.toNanos();
        String where = address.getHostAddress() + ":" + port;
        Socket socket = new Socket();
        try {
            try {
                socket.connect(new InetSocketAddress(address, port), (int) limit.toMillis());
            } catch (IOException e) {
                add(Level.FAIL, "connect", tag + "no connection to " + where + " (" + message(e) + "): nothing listens"
                        + " there or a firewall drops it. Alipay's sending addresses are not a published list: open"
                        + " the port to the internet");
                return null;
            }
            Socket s = socket;
            if (https) {
                x.tls = new Tls();
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {new Recording(trustManager(), x.tls)}, null);
                SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.setSoTimeout(remainingMillis(deadline));
                try {
                    ssl.startHandshake();
                } catch (SocketTimeoutException e) {
                    throw e;
                } catch (IOException e) {
                    add(Level.FAIL, "tls", tag + "no TLS handshake with " + where + " (" + message(e) + "): does the"
                            + " port speak TLS (nginx: listen ... ssl) with TLS 1.2 or 1.3?");
                    return null;
                }
                x.tls.protocol = ssl.getSession().getProtocol();
                s = ssl;
            }
            String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                    + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
            StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(url.getRawAuthority().replaceFirst("^[^@]*@", "")).append("\r\n")
                    .append("User-Agent: alipay-notify check-notify-url\r\n")
                    .append("Connection: close\r\n");
            if (body != null) {
                request.append("Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n")
                        .append("Content-Length: ").append(body.length).append("\r\n");
            }
            request.append("\r\n");
            OutputStream o = s.getOutputStream();
            o.write(request.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                o.write(body);
            }
            o.flush();
            read(s, deadline, x);
        } catch (SocketTimeoutException e) {
            x.timedOut = true;
        } catch (IOException | GeneralSecurityException e) {
            add(Level.FAIL, method.toLowerCase(Locale.ROOT), tag + method + " to "
                    + where + " failed: " + message(e));
            return null;
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
        x.elapsed = Duration.ofNanos(System.nanoTime() - started);
        if (x.elapsed.compareTo(limit) > 0 && x.status == 0) {
            x.timedOut = true;
        }
        return x;
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("limit reached");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    /** Reads until the answer is complete (by Content-Length, chunked framing, or the server closing). */
    private static void read(Socket s, long deadline, Exchange x) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        while (!parse(buf.toByteArray(), x, false) && buf.size() < MAX_RESPONSE_BYTES) {
            s.setSoTimeout(remainingMillis(deadline));
            int n;
            try {
                n = in.read(chunk);
            } catch (SSLException e) {
                n = -1; // a peer closing without close_notify: what arrived is the answer
            }
            if (n < 0) {
                break;
            }
            buf.write(chunk, 0, n);
        }
        if (!parse(buf.toByteArray(), x, true)) {
            throw new IOException("the answer is not HTTP (" + buf.size() + " bytes: '"
                    + printable(buf.toString(StandardCharsets.ISO_8859_1), 60) + "')");
        }
    }

    /** Fills x from the bytes so far; true once the answer is complete (at EOF: whatever body arrived). */
    static boolean parse(byte[] raw, Exchange x, boolean eof) {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            return false;
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/")) {
            return false;
        }
        try {
            x.status = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            return false;
        }
        x.headers.clear();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                x.headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        int start = end + 4;
        byte[] rest = java.util.Arrays.copyOfRange(raw, start, raw.length);
        if (x.status == 204 || x.status == 304 || x.status / 100 == 1) {
            x.body = new byte[0];
            return true;
        }
        if (x.header("transfer-encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false)) {
            byte[] decoded = dechunk(rest);
            if (decoded != null) {
                x.body = decoded;
                return true;
            }
            x.body = rest;
            return eof;
        }
        java.util.Optional<String> length = x.header("content-length");
        if (length.isPresent()) {
            int n;
            try {
                n = Integer.parseInt(length.get());
            } catch (NumberFormatException e) {
                n = rest.length;
            }
            x.body = java.util.Arrays.copyOf(rest, Math.min(n, rest.length));
            return rest.length >= n || eof;
        }
        x.body = rest;
        return eof;
    }

    /** The body of a complete chunked answer, or null while it is incomplete. */
    private static byte[] dechunk(byte[] rest) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int i = 0;
        while (true) {
            int lineEnd = indexOf(rest, new byte[] {'\r', '\n'}, i);
            if (lineEnd < 0) {
                return null;
            }
            String size = new String(rest, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].strip();
            int n;
            try {
                n = Integer.parseInt(size, 16);
            } catch (NumberFormatException e) {
                return null;
            }
            if (n == 0) {
                return body.toByteArray();
            }
            if (lineEnd + 2 + n > rest.length) {
                return null;
            }
            body.write(rest, lineEnd + 2, n);
            i = lineEnd + 2 + n + 2;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @SafeVarargs
    private static Throwable cause(Throwable t, Class<? extends Throwable>... types) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(c)) {
                    return c;
                }
            }
        }
        return null;
    }

    /** The innermost message, which is the one that names the problem. */
    private static String message(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        return printable(m, 200);
    }

    private static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return b.toString().strip() + (s.length() > max ? "..." : "");
    }
}
