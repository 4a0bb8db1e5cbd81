package org.alipaynotify.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The parts of bin/check-notify-url that need no network; the whole tool runs against nginx in CheckNotifyUrlIT. */
class CheckNotifyUrlTest {
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
            "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255", "169.254.169.254", "0.0.0.0",
            "192.0.2.7", "198.51.100.7", "203.0.113.7", "198.18.0.1", "198.19.255.255", "224.0.0.1",
            "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "fec0::1",
            "2001:db8::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b:1::1", "100::1"})
    void addressesNoClientOnTheInternetReaches(String literal) throws Exception {
        assertNotNull(CheckNotifyUrl.nonPublic(InetAddress.getByName(literal)), literal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255",
            "172.32.0.0", "192.167.255.255", "192.169.0.0", "11.0.0.1", "126.255.255.255", "128.0.0.1",
            "169.253.255.255", "198.17.255.255", "198.20.0.0", "223.255.255.255", "47.246.1.1",
            "2400:3200::1", "2001:4860:4860::8888", "fbff:ffff::1", "fe00::1", "::ffff:8.8.8.8",
            "64:ff9b::808:808"})
    void publicAddresses(String literal) throws Exception {
        assertNull(CheckNotifyUrl.nonPublic(InetAddress.getByName(literal)), literal);
    }

    @Test
    void carrierGradeNatIsNamed() throws Exception {
        assertEquals("a carrier-grade NAT address (100.64.0.0/10)",
                CheckNotifyUrl.nonPublic(InetAddress.getByName("100.100.100.100")));
    }

    @Test
    void hostNamesMatchLikeAnHttpsClient() throws Exception {
        X509Certificate cert = certificate("CN=ignored.example", new GeneralName(GeneralName.dNSName,
                "shop.example.com"), new GeneralName(GeneralName.dNSName, "*.pay.example.com"),
                new GeneralName(GeneralName.iPAddress, "198.51.100.9"));
        assertTrue(CheckNotifyUrl.hostMatches("shop.example.com", cert));
        assertTrue(CheckNotifyUrl.hostMatches("SHOP.Example.com.", cert));
        assertTrue(CheckNotifyUrl.hostMatches("a.pay.example.com", cert));
        assertTrue(CheckNotifyUrl.hostMatches("198.51.100.9", cert));
        assertFalse(CheckNotifyUrl.hostMatches("pay.example.com", cert), "a wildcard needs a label of its own");
        assertFalse(CheckNotifyUrl.hostMatches("a.b.pay.example.com", cert), "a wildcard is one label");
        assertFalse(CheckNotifyUrl.hostMatches("www.shop.example.com", cert));
        assertFalse(CheckNotifyUrl.hostMatches("ignored.example", cert), "CN is not read beside DNS names");
        assertFalse(CheckNotifyUrl.hostMatches("198.51.100.10", cert));
        assertTrue(CheckNotifyUrl.hostMatches("old.example", certificate("CN=old.example")), "CN without DNS names");
    }

    @Test
    void theTestNotificationIsAFormWithoutAppIdOrSign() {
        String form = CheckNotifyUrl.testNotification(Instant.parse("2026-12-02T01:02:03Z"));
        assertEquals("notify_type=trade_status_sync&notify_id=check-notify-url-1796173323000"
                + "&notify_time=2026-12-02+09%3A02%3A03&charset=utf-8&version=1.0&out_trade_no=check-notify-url"
                + "&trade_status=TRADE_SUCCESS&total_amount=0.01", form);
    }

    @Test
    void aChunkedAnswerIsReadWhole() {
        CheckNotifyUrl.Exchange x = new CheckNotifyUrl.Exchange();
        byte[] partial = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfai\r\n".getBytes(
                StandardCharsets.US_ASCII);
        assertFalse(CheckNotifyUrl.parse(partial, x, false));
        byte[] whole = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfai\r\n4\r\nlure\r\n0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(CheckNotifyUrl.parse(whole, x, false));
        assertEquals(403, x.status);
        assertEquals("failure", new String(x.body, StandardCharsets.US_ASCII));
    }

    @Test
    void aServerThatTakesTheConnectionButNeverAnswersIsAFindingNotACrash() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
                try {
                    while (true) {
                        held.add(silent.accept()); // never a byte back, not even a TLS handshake
                    }
                } catch (java.io.IOException closed) {
                    held.forEach(s -> {
                        try {
                            s.close();
                        } catch (java.io.IOException ignored) {
                            // closing anyway
                        }
                    });
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = CheckNotifyUrl.run(new String[] {"--timeout-seconds", "1", "--allow-private-for-testing",
                    "https://127.0.0.1:" + silent.getLocalPort() + "/alipay/notify"},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            String output = out.toString(StandardCharsets.UTF_8);
            assertEquals(CheckNotifyUrl.EXIT_FAILED, exit, output);
            assertTrue(output.contains("FAIL  time       no complete answer to the POST within 1 s"), output);
            assertTrue(output.contains("FAIL  get        no answer to a GET within 1 s"), output);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shop.example.com/alipay/notify", "ftp://shop.example.com/x", "--timeout-seconds",
            "--timeout-seconds 0 https://x.example/", "--bogus https://x.example/", ""})
    void usageErrorsExitTwo(String args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CheckNotifyUrl.run(args.isEmpty() ? new String[0] : args.split(" "),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(CheckNotifyUrl.EXIT_USAGE, exit, out.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: bin/check-notify-url"));
    }

    private static X509Certificate certificate(String subject, GeneralName... names) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        var pair = g.generateKeyPair();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(subject),
                java.math.BigInteger.ONE, new Date(), new Date(System.currentTimeMillis() + 86_400_000L),
                new X500Name(subject), pair.getPublic());
        if (names.length > 0) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    }
}
