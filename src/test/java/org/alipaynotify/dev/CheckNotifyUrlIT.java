package org.alipaynotify.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.alipaynotify.testsupport.Nginx;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/check-notify-url against a real nginx with TLS on loopback (Debian's nginx, as deploy/test-deployment.sh runs
 * it), with certificates from a CA of the test's own: the shipped nginx sample in front of the built WAR in Jetty
 * must pass every check, and each way a notify_url fails in the field must be found, and only that. Loopback and the
 * test CA are allowed by the tool's test switches; one case runs without each to show they matter. Skipped, with a
 * line saying so, where nginx is not installed ({@code apt-get install nginx}; {@code .ci/run} installs it).
 */
class CheckNotifyUrlIT {
    @TempDir
    static Path dir;

    static Nginx nginx;
    static WarServer war;
    static HttpServer stub;
    static Path caFile;
    /** The shipped sample in front of alipay-notify; the other cases' servers; the certificates that are wrong. */
    static int sample;
    static int cases;
    static int expired;
    static int otherName;
    static int plainHttp;
    static int expiresSoon;

    @BeforeAll
    static void start() throws Exception {
        if (Nginx.binary().isEmpty()) {
            System.out.println("SKIPPED CheckNotifyUrlIT: nginx is not installed here (apt-get install nginx; .ci/run"
                    + " installs it)");
        }
        Assumptions.assumeTrue(Nginx.binary().isPresent(), "nginx is not installed");

        KeyPair caKey = rsa();
        KeyPair serverKey = rsa();
        X500Name caName = new X500Name("CN=check-notify-url test CA");
        Instant now = Instant.now();
        X509Certificate ca = certificate(caName, caKey.getPrivate(), caName, caKey.getPublic(),
                now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)), true);
        caFile = write("ca.crt", pem("CERTIFICATE", ca.getEncoded()));
        Path key = write("server.key", pem("PRIVATE KEY", serverKey.getPrivate().getEncoded()));
        Path good = write("good.crt", pem("CERTIFICATE", certificate(caName, caKey.getPrivate(),
                new X500Name("CN=localhost"), serverKey.getPublic(), now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(90)), false, "localhost").getEncoded()));
        Path old = write("expired.crt", pem("CERTIFICATE", certificate(caName, caKey.getPrivate(),
                new X500Name("CN=localhost"), serverKey.getPublic(), now.minus(Duration.ofDays(90)),
                now.minus(Duration.ofDays(2)), false, "localhost").getEncoded()));
        Path other = write("other.crt", pem("CERTIFICATE", certificate(caName, caKey.getPrivate(),
                new X500Name("CN=shop.example.com"), serverKey.getPublic(), now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(90)), false, "shop.example.com").getEncoded()));
        Path soon = write("soon.crt", pem("CERTIFICATE", certificate(caName, caKey.getPrivate(),
                new X500Name("CN=localhost"), serverKey.getPublic(), now.minus(Duration.ofDays(60)),
                now.plus(Duration.ofDays(10)).plus(Duration.ofHours(1)), false, "localhost").getEncoded()));

        // the real thing: the built WAR, its database, behind deploy/nginx/alipay-notify.conf as shipped
        war = WarServer.start(TestDatabase.get().webappSettings(SandboxKeys.generate()
                .writeCertificate(dir.resolve("alipay.crt"))));
        // the things that answer in its place in the field
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.setExecutor(Executors.newCachedThreadPool()); // the slow answer must not hold up the others
        stub.createContext("/like-alipay-notify", x -> answer(x, "POST".equals(x.getRequestMethod()) ? 403 : 405,
                "text/plain", "failure"));
        stub.createContext("/login", x -> answer(x, 200, "text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>...</form></body></html>"));
        stub.createContext("/success", x -> answer(x, 200, "text/plain", "success"));
        stub.createContext("/slow", x -> {
            if ("POST".equals(x.getRequestMethod())) {
                sleep(Duration.ofSeconds(CheckNotifyUrl.DEFAULT_TIMEOUT_SECONDS + 2));
                answer(x, 403, "text/plain", "failure");
            } else {
                answer(x, 405, "text/plain", "failure");
            }
        });
        stub.start();
        String like = "http://127.0.0.1:" + stub.getAddress().getPort() + "/like-alipay-notify";

        sample = Nginx.freePort();
        cases = Nginx.freePort();
        expired = Nginx.freePort();
        otherName = Nginx.freePort();
        plainHttp = Nginx.freePort();
        expiresSoon = Nginx.freePort();
        int closed = Nginx.freePort(); // nothing listens: nginx's 502
        String rendered = Files.readString(Path.of("deploy/nginx/alipay-notify.conf"))
                .replace("@LISTEN@", "127.0.0.1:" + sample).replace("@SERVER_NAME@", "localhost")
                .replace("@TLS_CERT@", good.toString()).replace("@TLS_KEY@", key.toString())
                .replace("@UPSTREAM@", "127.0.0.1:" + war.uri("/").getPort());
        String stubBase = "http://127.0.0.1:" + stub.getAddress().getPort();
        String http = rendered + String.join("\n",
                "server {",
                "    listen 127.0.0.1:" + cases + " ssl;",
                "    ssl_certificate " + good + "; ssl_certificate_key " + key + ";",
                "    location = /alipay/notify { proxy_pass " + like + "; }",
                "    location = /redirect { return 301 https://localhost:" + sample + "/alipay/notify; }",
                "    location = /login { proxy_pass " + stubBase + "/login; }",
                "    location = /success { proxy_pass " + stubBase + "/success; }",
                "    location = /slow { proxy_pass " + stubBase + "/slow; }",
                "    location = /down { proxy_pass http://127.0.0.1:" + closed + "/alipay/notify; }",
                "    location / { return 404; }",
                "}",
                server(expired, "ssl", old, key, like),
                server(otherName, "ssl", other, key, like),
                server(plainHttp, "", null, null, like),
                server(expiresSoon, "ssl", soon, key, like));
        nginx = Nginx.start(dir.resolve("nginx"), http, List.of(sample, cases, expired, otherName, plainHttp,
                expiresSoon));
    }

    private static String server(int port, String ssl, Path cert, Path key, String upstream) {
        return "server {\n    listen 127.0.0.1:" + port + (ssl.isEmpty() ? "" : " " + ssl) + ";\n"
                + (cert == null ? "" : "    ssl_certificate " + cert + "; ssl_certificate_key " + key + ";\n")
                + "    location = /alipay/notify { proxy_pass " + upstream + "; }\n    location / { return 404; }\n}";
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (stub != null) {
            stub.stop(0);
        }
        if (war != null) {
            war.close();
        }
    }

    /** What one run printed and answered. */
    record Run(int exit, String output) {
        Set<String> failed() {
            return checks("FAIL");
        }

        Set<String> checks(String level) {
            Set<String> names = new TreeSet<>();
            for (String line : output.split("\n")) {
                String[] parts = line.split("\\s+", 3);
                if (parts.length >= 2 && parts[0].equals(level)) {
                    names.add(parts[1]);
                }
            }
            return names;
        }

        String line(String level, String check) {
            for (String line : output.split("\n")) {
                String[] parts = line.split("\\s+", 3);
                if (parts.length == 3 && parts[0].equals(level) && parts[1].equals(check)) {
                    return parts[2];
                }
            }
            throw new AssertionError("no " + level + " " + check + " line in:\n" + output);
        }
    }

    static Run check(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = CheckNotifyUrl.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.println("check-notify-url " + String.join(" ", args) + " -> " + exit + "\n" + output);
        return new Run(exit, output);
    }

    /** With the test switches: loopback allowed, the test CA trusted. */
    static Run checkForTest(String url) {
        return check("--allow-private-for-testing", "--ca-file", caFile.toString(), url);
    }

    static void assertFailed(Run run, String... checks) {
        assertEquals(new TreeSet<>(List.of(checks)), run.failed(), run.output());
        assertEquals(CheckNotifyUrl.EXIT_FAILED, run.exit(), run.output());
    }

    @Test
    void theShippedNginxSampleInFrontOfAlipayNotifyPassesEveryCheck() {
        Run run = checkForTest("https://localhost:" + sample + "/alipay/notify");
        assertEquals(CheckNotifyUrl.EXIT_OK, run.exit(), run.output());
        assertEquals(Set.of(), run.failed(), run.output());
        assertEquals(Set.of(), run.checks("WARN"), run.output());
        assertEquals(Set.of("scheme", "query", "tls-chain", "tls-name", "tls-expiry", "post", "time", "get"),
                run.checks("PASS"), run.output());
        assertTrue(run.line("PASS", "post").contains("answered 403 \"failure\""), run.output());
        assertTrue(run.line("PASS", "get").contains("405 \"failure\""), run.output());
    }

    @Test
    void theScriptRunsTheToolFromTheRepositoryWithoutABuild() throws Exception {
        Process p = new ProcessBuilder("bin/check-notify-url", "--allow-private-for-testing", "--ca-file",
                caFile.toString(), "https://localhost:" + sample + "/alipay/notify").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("RESULT every check passed"), output);
    }

    @Test
    void plainHttp() {
        Run run = checkForTest("http://localhost:" + plainHttp + "/alipay/notify");
        assertFailed(run, "scheme");
        assertTrue(run.line("FAIL", "scheme").contains("https://"), run.output());
    }

    @Test
    void aRedirect() {
        Run run = checkForTest("https://localhost:" + cases + "/redirect");
        assertFailed(run, "redirect");
        assertTrue(run.line("FAIL", "redirect").contains("POST answered 301 to https://localhost:" + sample
                + "/alipay/notify: Alipay does not follow redirects"), run.output());
    }

    @Test
    void aPathNothingAnswers() {
        Run run = checkForTest("https://localhost:" + cases + "/alipay/notfy");
        assertFailed(run, "post", "get");
        assertTrue(run.line("FAIL", "post").contains("answered 404"), run.output());
    }

    @Test
    void aLoginPage() {
        Run run = checkForTest("https://localhost:" + cases + "/login");
        assertFailed(run, "post", "get");
        assertTrue(run.line("FAIL", "post").contains("answered 200 (text/html; charset=utf-8, "), run.output());
        assertTrue(run.line("FAIL", "post").contains("title 'Sign in'"), run.output());
        assertTrue(run.line("FAIL", "post").contains("a login, CSRF or firewall filter"), run.output());
    }

    @Test
    void successAnsweredToAnUnsignedNotification() {
        Run run = checkForTest("https://localhost:" + cases + "/success");
        assertFailed(run, "post", "get");
        assertTrue(run.line("FAIL", "post").contains("answered 200 \"success\""), run.output());
    }

    @Test
    void aProxyErrorPage() {
        Run run = checkForTest("https://localhost:" + cases + "/down");
        assertFailed(run, "post", "get");
        assertTrue(run.line("FAIL", "post").contains("answered 502"), run.output());
        assertTrue(run.line("FAIL", "post").contains("the proxy's error page"), run.output());
    }

    @Test
    void anExpiredCertificate() {
        Run run = checkForTest("https://localhost:" + expired + "/alipay/notify");
        assertFailed(run, "tls-expiry");
        assertTrue(run.line("FAIL", "tls-expiry").contains("expired 2 days ago"), run.output());
    }

    @Test
    void aCertificateForAnotherName() {
        Run run = checkForTest("https://localhost:" + otherName + "/alipay/notify");
        assertFailed(run, "tls-name");
        assertTrue(run.line("FAIL", "tls-name").contains("[DNS:shop.example.com], not localhost"), run.output());
    }

    @Test
    void aCertificateThatExpiresWithinThirtyDaysIsAWarning() {
        Run run = checkForTest("https://localhost:" + expiresSoon + "/alipay/notify");
        assertEquals(CheckNotifyUrl.EXIT_WARNINGS, run.exit(), run.output());
        assertEquals(Set.of(), run.failed(), run.output());
        assertTrue(run.line("WARN", "tls-expiry").contains("expires in 10 days"), run.output());
    }

    @Test
    void aCertificateOfACaThePublicDoesNotTrust() {
        // the same server as the passing cases, but the JDK's default trust store instead of the test CA
        Run run = check("--allow-private-for-testing", "https://localhost:" + cases + "/alipay/notify");
        assertFailed(run, "tls-chain");
        assertTrue(run.line("FAIL", "tls-chain").contains("PKIX path building failed")
                || run.line("FAIL", "tls-chain").contains("unable to find valid certification path"), run.output());
    }

    @Test
    void anAnswerPastTheTimeLimit() {
        long started = System.nanoTime();
        Run run = checkForTest("https://localhost:" + cases + "/slow");
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertFailed(run, "time");
        assertTrue(run.line("FAIL", "time").contains("within 5 s"), run.output());
        assertTrue(ms < (CheckNotifyUrl.DEFAULT_TIMEOUT_SECONDS + 2) * 1000L, "gave up at the limit: " + ms + " ms");
    }

    @Test
    void aPrivateAddressWithoutTheTestSwitch() {
        Run run = check("--ca-file", caFile.toString(), "https://localhost:" + sample + "/alipay/notify");
        assertFailed(run, "address");
        assertTrue(run.line("FAIL", "address").contains("127.0.0.1, a loopback address"), run.output());
    }

    @Test
    void aQueryString() {
        Run run = checkForTest("https://localhost:" + sample + "/alipay/notify?shop=1");
        assertFailed(run, "query");
    }

    // ---- certificates of the test's own CA ----

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(X500Name issuer, PrivateKey issuerKey, X500Name subject, PublicKey key,
            Instant notBefore, Instant notAfter, boolean ca, String... dnsNames) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), subject, key);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            List<GeneralName> names = new ArrayList<>();
            for (String n : dnsNames) {
                names.add(new GeneralName(GeneralName.dNSName, n));
            }
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(new GeneralName[0])));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static void answer(HttpExchange x, int status, String type, String body) throws IOException {
        x.getRequestBody().readAllBytes();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
