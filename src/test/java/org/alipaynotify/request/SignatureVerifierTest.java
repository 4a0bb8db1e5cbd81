package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alipaynotify.Outcome;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.App;
import org.alipaynotify.Refused;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.RealVectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.alipaynotify.keys.KeySource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignatureVerifierTest {
    private static SandboxKeys keys;
    private static AlipaySigner signer;

    @BeforeAll
    static void keys() {
        keys = SandboxKeys.generate();
        signer = new AlipaySigner(keys.keyPair().getPrivate());
    }

    static SignatureVerifier keyMode(String publicKey, Settings.SignType signType) {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.PUBLIC_KEY, publicKey);
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/x");
        Settings s = Settings.load(sys, Map.of());
        AlipayKey key = AlipayKey.load(s.apps().get(0), Clock.systemUTC());
        return new SignatureVerifier(Apps.of(App.fixed("2021000000000001", java.util.Set.of(), signType, key)));
    }

    static SignatureVerifier certMode(Path cert) {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, "2021000000000001");
        sys.put(Settings.CERT_PATH, cert.toString());
        sys.put(Settings.DB_URL, "jdbc:mysql://127.0.0.1/x");
        Settings s = Settings.load(sys, Map.of());
        return new SignatureVerifier(Apps.of(App.load(s.apps().get(0), 0, Clock.systemUTC())));
    }

    static NotifyForm form(String body) throws Refused {
        return FormBodyParser.parse(body.getBytes(StandardCharsets.US_ASCII));
    }

    static NotifyForm form(Map<String, String> params) throws Refused {
        return FormBodyParser.parse(AlipaySigner.formBody(params));
    }

    static Outcome refusal(SignatureVerifier v, NotifyForm f) {
        return assertThrows(Refused.class, () -> v.verify(f)).outcome();
    }

    @Nested
    class SignedByAlipay {
        @Test
        void realKeyModeNotificationVerifies() throws Exception {
            SignatureVerifier v = keyMode(RealVectors.read(RealVectors.KEY_MODE, "alipay_public_key.b64.txt"),
                    Settings.SignType.RSA2);
            NotifyForm f = form(RealVectors.read(RealVectors.KEY_MODE, "form-body.DERIVED.txt"));
            assertEquals("语雀空间 500人规模", v.verify(f).get("subject"));
        }

        @Test
        void realKeyModeAcceptsThePemFormOfTheKey() throws Exception {
            SignatureVerifier v = keyMode(RealVectors.read(RealVectors.KEY_MODE, "alipay_public_key.pem"),
                    Settings.SignType.RSA2);
            assertNotNull(v.verify(form(RealVectors.read(RealVectors.KEY_MODE, "form-body.DERIVED.txt"))));
        }

        @Test
        void realKeyModeTamperedAmountFails() throws Exception {
            SignatureVerifier v = keyMode(RealVectors.read(RealVectors.KEY_MODE, "alipay_public_key.b64.txt"),
                    Settings.SignType.RSA2);
            String body = RealVectors.read(RealVectors.KEY_MODE, "form-body.DERIVED.txt")
                    .replace("total_amount=0.10", "total_amount=1000.10");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(body)));
        }

        @Test
        void realKeyModeWithSha1ConfiguredFails() throws Exception {
            // The same genuine RSA2 notification checked as SHA1 (what the 3-argument SDK methods do) fails.
            SignatureVerifier v = keyMode(RealVectors.read(RealVectors.KEY_MODE, "alipay_public_key.b64.txt"),
                    Settings.SignType.RSA);
            String body = RealVectors.read(RealVectors.KEY_MODE, "form-body.DERIVED.txt")
                    .replace("&sign_type=RSA2", "");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(body)));
        }

        @Test
        void realCertModeNotificationVerifiesThoughTheCertificateExpired() throws Exception {
            SignatureVerifier v = certMode(RealVectors.dir(RealVectors.CERT_MODE).resolve("alipayPublicCert.crt"));
            NotifyForm f = form(RealVectors.read(RealVectors.CERT_MODE, "form-body.DERIVED.txt"));
            assertEquals("yansongda+测试 - 1", v.verify(f).get("subject"));
        }

        @Test
        void realCertModePlusDecodedAsSpaceFails() throws Exception {
            SignatureVerifier v = certMode(RealVectors.dir(RealVectors.CERT_MODE).resolve("alipayPublicCert.crt"));
            String body = RealVectors.read(RealVectors.CERT_MODE, "form-body.DERIVED.txt")
                    .replace("yansongda%2B", "yansongda+");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(body)));
        }

        @Test
        void realCertModeTamperedSellerFails() throws Exception {
            SignatureVerifier v = certMode(RealVectors.dir(RealVectors.CERT_MODE).resolve("alipayPublicCert.crt"));
            String body = RealVectors.read(RealVectors.CERT_MODE, "form-body.DERIVED.txt")
                    .replace("seller_id=2088721003899159", "seller_id=2088721003899158");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(body)));
        }

        @Test
        void realKeyModeNotificationFailsWithAnotherKey() throws Exception {
            SignatureVerifier v = keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2);
            assertEquals(Outcome.BAD_SIGNATURE,
                    refusal(v, form(RealVectors.read(RealVectors.KEY_MODE, "form-body.DERIVED.txt"))));
        }
    }

    @Nested
    class SignedByTestKey {
        @Test
        void validSignatureVerifiesInBothModes(@TempDir Path dir) throws Exception {
            Map<String, String> p = signer.signed(Notifications.tradeSuccess("o-1", "88.80"));
            assertNotNull(keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2).verify(form(p)));
            assertNotNull(certMode(keys.writeCertificate(dir.resolve("alipay.crt"))).verify(form(p)));
        }

        @Test
        void theChainFilesFirstCertificateCounts(@TempDir Path dir) throws Exception {
            SandboxKeys other = SandboxKeys.generate();
            Path chain = keys.writeCertificate(dir.resolve("chain.crt"), other.certificate());
            assertNotNull(certMode(chain).verify(form(signer.signed(Notifications.tradeSuccess("o-2", "1.00")))));
        }

        @Test
        void verifyingTwiceWorksAndLeavesTheFormIntact() throws Exception {
            SignatureVerifier v = keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2);
            NotifyForm f = form(signer.signed(Notifications.tradeSuccess("o-3", "1.00")));
            v.verify(f);
            v.verify(f);
            assertNotNull(f.get("sign"));
            assertEquals("RSA2", f.get("sign_type"));
        }

        @Test
        void gbkNotificationVerifiesWithItsOwnCharset() throws Exception {
            Map<String, String> p = Notifications.tradeSuccess("o-4", "1.00");
            p.put("charset", "gbk");
            p.put("subject", "中文商品 甲+乙");
            NotifyForm f = form(signer.signed(p));
            assertEquals("gbk", f.charsetName());
            assertEquals("中文商品 甲+乙", keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2).verify(f)
                    .get("subject"));
        }

        @Test
        void gbkSignatureClaimingUtf8Fails() throws Exception {
            Map<String, String> p = Notifications.tradeSuccess("o-5", "1.00");
            p.put("charset", "gbk");
            p.put("subject", "中文商品");
            Map<String, String> signed = signer.signed(p);
            signed.put("charset", "utf-8"); // the body now claims utf-8 (charset is signed too, but so is the text)
            signed.put("subject", "中文商品");
            assertEquals(Outcome.BAD_SIGNATURE,
                    refusal(keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2), form(signed)));
        }

        @Test
        void emptyValuesAreLeftOutOfTheSignedContent() throws Exception {
            Map<String, String> p = Notifications.tradeSuccess("o-6", "1.00");
            p.put("passback_params", "");
            assertNotNull(keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2).verify(form(signer.signed(p))));
        }

        @Test
        void sha1SignatureWithSignTypeRsaIsRefusedWhenRsa2IsConfigured() throws Exception {
            Map<String, String> p = Notifications.tradeSuccess("o-7", "1.00");
            Map<String, String> signed = new LinkedHashMap<>(p);
            signed.put("sign_type", "RSA");
            signed.put("sign", signer.sign(p, "SHA1withRSA"));
            SignatureVerifier v = keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2);
            assertEquals(Outcome.SIGN_TYPE_MISMATCH, refusal(v, form(signed)));
            // and claiming RSA2 does not make a SHA1 signature pass
            signed.put("sign_type", "RSA2");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(signed)));
        }

        @Test
        void legacyRsaWorksOnlyWhenConfigured() throws Exception {
            Map<String, String> p = Notifications.tradeSuccess("o-8", "1.00");
            Map<String, String> signed = new LinkedHashMap<>(p);
            signed.put("sign_type", "RSA");
            signed.put("sign", signer.sign(p, "SHA1withRSA"));
            assertNotNull(keyMode(keys.publicKeyBase64(), Settings.SignType.RSA).verify(form(signed)));
        }

        @Test
        void absentSignTypeMeansTheConfiguredOne() throws Exception {
            Map<String, String> signed = signer.signed(Notifications.tradeSuccess("o-9", "1.00"));
            signed.remove("sign_type");
            assertNotNull(keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2).verify(form(signed)));
        }

        @Test
        void missingEmptyAndGarbledSignsAreBadSignatures() throws Exception {
            SignatureVerifier v = keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2);
            Map<String, String> signed = signer.signed(Notifications.tradeSuccess("o-10", "1.00"));
            signed.remove("sign");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(signed)));
            signed.put("sign", "");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(signed)));
            signed.put("sign", "not base64 at all!!");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(signed)));
            signed.put("sign", "QUJD");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(signed)));
        }

        @Test
        void everyTamperedFieldFails() throws Exception {
            SignatureVerifier v = keyMode(keys.publicKeyBase64(), Settings.SignType.RSA2);
            Map<String, String> signed = signer.signed(Notifications.tradeSuccess("o-11", "1.00"));
            for (String key : signed.keySet()) {
                if (key.equals("sign") || key.equals("sign_type") || key.equals("charset")) {
                    continue;
                }
                Map<String, String> tampered = new LinkedHashMap<>(signed);
                tampered.put(key, signed.get(key) + "1");
                assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(tampered)), "tampered " + key);
            }
            Map<String, String> added = new LinkedHashMap<>(signed);
            added.put("refund_fee", "1.00");
            assertEquals(Outcome.BAD_SIGNATURE, refusal(v, form(added)), "added field");
        }
    }

    // ---- several apps: the claimed app_id chooses the key, the signature proves it ----

    static final class TwoApps {
        final SandboxKeys webKeys = SandboxKeys.generate();
        final SandboxKeys miniKeys = SandboxKeys.generate();
        final AlipaySigner web = new AlipaySigner(webKeys.keyPair().getPrivate());
        final AlipaySigner mini = new AlipaySigner(miniKeys.keyPair().getPrivate());
        final SignatureVerifier verifier;

        TwoApps(Path dir) throws Exception {
            AlipayKey webKey = AlipayKey.fromCertificate("alipay.app.web.cert-path",
                    webKeys.writeCertificate(dir.resolve("web.crt")), java.util.Set.of(), Clock.systemUTC());
            AlipayKey miniKey = AlipayKey.fromPublicKey("alipay.app.mini.public-key", miniKeys.publicKeyBase64());
            verifier = new SignatureVerifier(new Apps(java.util.List.of(
                    new App("web", "2021000000000001", java.util.Set.of(), Settings.SignType.RSA2,
                            KeySource.fixed(webKey)),
                    new App("mini", "2021000000000002", java.util.Set.of(), Settings.SignType.RSA2,
                            KeySource.fixed(miniKey)))));
        }

        NotifyForm signed(AlipaySigner by, String claimedAppId) throws Refused {
            Map<String, String> p = Notifications.tradeSuccess("order-1", "1.00");
            p.put("app_id", claimedAppId);
            return FormBodyParser.parse(AlipaySigner.formBody(by.signed(p)));
        }
    }

    @Test
    void eachAppsNotificationVerifiesWithItsOwnKey(@TempDir Path dir) throws Exception {
        TwoApps apps = new TwoApps(dir);
        assertEquals("web", apps.verifier.verify(apps.signed(apps.web, "2021000000000001")).app().name());
        assertEquals("mini", apps.verifier.verify(apps.signed(apps.mini, "2021000000000002")).app().name());
    }

    @Test
    void signedWithOneAppsKeyButClaimingAnotherIsABadSignature(@TempDir Path dir) throws Exception {
        TwoApps apps = new TwoApps(dir);
        Refused r = assertThrows(Refused.class,
                () -> apps.verifier.verify(apps.signed(apps.web, "2021000000000002")));
        assertEquals(Outcome.BAD_SIGNATURE, r.outcome());
        assertTrue(r.reason().contains("app mini"), r.reason());
    }

    @Test
    void anAppWeDoNotServeIsAnAppIdMismatchAndAMissingOneIsNamed(@TempDir Path dir) throws Exception {
        TwoApps apps = new TwoApps(dir);
        assertEquals(Outcome.APP_ID_MISMATCH, assertThrows(Refused.class,
                () -> apps.verifier.verify(apps.signed(apps.web, "2021000000000099"))).outcome());
        Map<String, String> p = Notifications.tradeSuccess("order-1", "1.00");
        p.remove("app_id");
        NotifyForm noApp = FormBodyParser.parse(AlipaySigner.formBody(apps.web.signed(p)));
        assertEquals(Outcome.MISSING_FIELD, assertThrows(Refused.class, () -> apps.verifier.verify(noApp)).outcome());
    }

    @Test
    void aNotificationWithoutCharsetIsReadAndVerifiedInTheDefaultCharsetOfItsApp() throws Exception {
        AlipayKey key = AlipayKey.fromPublicKey("alipay.public-key", keys.publicKeyBase64());
        SignatureVerifier verifier = new SignatureVerifier(new Apps(java.util.List.of(
                new App("web", "2021000000000001", java.util.Set.of(), Settings.SignType.RSA2,
                        KeySource.fixed(key)),
                new App("legacy", "2021000000000002", java.util.Set.of(), Settings.SignType.RSA2,
                        KeySource.fixed(key), "gbk"))));
        java.nio.charset.Charset gbk = java.nio.charset.Charset.forName("GBK");
        Map<String, String> p = Notifications.tradeSuccess("order-1", "1.00");
        p.remove("charset");
        p.put("subject", "龙井茶 一斤");
        p.put("app_id", "2021000000000002");
        byte[] legacy = AlipaySigner.formBody(signer.signed(p, "RSA2", gbk), gbk);

        NotifyForm form = FormBodyParser.parse(legacy, verifier::defaultCharset);
        VerifiedNotification verified = verifier.verify(form);

        assertEquals("legacy", verified.app().name());
        assertEquals("龙井茶 一斤", form.get("subject"));
        assertEquals("gbk", form.charsetName());

        p.put("app_id", "2021000000000001");
        byte[] web = AlipaySigner.formBody(signer.signed(p, "RSA2", gbk), gbk);
        assertEquals(Outcome.MALFORMED_BODY, assertThrows(Refused.class,
                () -> FormBodyParser.parse(web, verifier::defaultCharset)).outcome(), "the other app's is utf-8");
    }
}
