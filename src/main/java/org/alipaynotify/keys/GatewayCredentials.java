package org.alipaynotify.keys;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.SettingsException;

/**
 * What a request of ours to Alipay's gateway needs (the active query, the bill): the app's private key, which signs
 * it, and in certificate mode the serials of the app's certificate and of Alipay's root certificate, which it carries.
 * The private key is never logged and never shown by health; only its file's path is named in errors.
 *
 * <p>A serial is Alipay's: the MD5 hex of the issuer's RFC 2253 name followed by the certificate's serial number in
 * decimal (the SDK's AntCertificationUtil.getCertSN); the root's is that of each RSA certificate in the file, joined
 * with '_'.
 */
public final class GatewayCredentials {
    /** PKCS#1 signature algorithms (sha1WithRSA, sha256WithRSA ...): the root file's RSA certificates. */
    private static final String RSA_SIGNATURES = "1.2.840.113549.1.1.";

    private final String privateKeyBase64;
    private final String appCertSn;
    private final String rootCertSn;

    private GatewayCredentials(String privateKeyBase64, String appCertSn, String rootCertSn) {
        this.privateKeyBase64 = privateKeyBase64;
        this.appCertSn = appCertSn;
        this.rootCertSn = rootCertSn;
    }

    /** Loads and checks the files the app's settings name (Settings already required them). */
    public static GatewayCredentials load(AppSettings app) {
        String keyName = app.key(AppSettings.APP_PRIVATE_KEY_PATH);
        String pem = read(keyName, app.appPrivateKeyPath());
        if (pem.contains("BEGIN RSA PRIVATE KEY")) {
            throw new SettingsException(keyName, "names a PKCS#1 key; convert it to PKCS#8: openssl pkcs8 -topk8"
                    + " -nocrypt -in app.key -out app-pkcs8.key");
        }
        String base64 = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new SettingsException(keyName, "is not an RSA private key in PKCS#8 (PEM or base64)");
        }
        if (app.appCertPath() == null) {
            return new GatewayCredentials(base64, null, null);
        }
        String appCertKey = app.key(AppSettings.APP_CERT_PATH);
        List<X509Certificate> appCerts = certificates(appCertKey, app.appCertPath());
        String rootKey = app.key(AppSettings.ALIPAY_ROOT_CERT_PATH);
        List<String> roots = new ArrayList<>();
        for (X509Certificate c : certificates(rootKey, app.alipayRootCertPath())) {
            if (c.getSigAlgOID().startsWith(RSA_SIGNATURES)) {
                roots.add(certSn(c));
            }
        }
        if (roots.isEmpty()) {
            throw new SettingsException(rootKey, "holds no RSA-signed certificate: is it Alipay's root certificate"
                    + " (alipayRootCert.crt)?");
        }
        return new GatewayCredentials(base64, certSn(appCerts.get(0)), String.join("_", roots));
    }

    /** Alipay's serial of a certificate. */
    public static String certSn(X509Certificate c) {
        try {
            String source = c.getIssuerX500Principal().getName() + c.getSerialNumber().toString(10);
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                    .digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For the SDK's signing methods: base64 of the PKCS#8 key. */
    public String privateKeyBase64() {
        return privateKeyBase64;
    }

    /** Certificate mode: app_cert_sn; else null. */
    public String appCertSn() {
        return appCertSn;
    }

    /** Certificate mode: alipay_root_cert_sn; else null. */
    public String rootCertSn() {
        return rootCertSn;
    }

    @Override
    public String toString() {
        return "GatewayCredentials[private key hidden]";
    }

    private static String read(String key, Path path) {
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new SettingsException(key, "names '" + path + "', which cannot be read: " + e.getMessage());
        }
    }

    private static List<X509Certificate> certificates(String key, Path path) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(path)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new SettingsException(key, "names '" + path + "', which holds no certificate");
            }
            return out;
        } catch (IOException | GeneralSecurityException e) {
            throw new SettingsException(key, "names '" + path + "', which is not a certificate file: "
                    + e.getMessage());
        }
    }
}
