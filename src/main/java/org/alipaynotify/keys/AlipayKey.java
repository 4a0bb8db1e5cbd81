package org.alipaynotify.keys;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.config.SettingsException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Alipay key, checked once at start-up (and again for a replaced file, see {@link KeySource}): in certificate
 * mode the first certificate of {@code alipay.cert-path} (the file may hold a chain), in public-key mode the base64
 * key of {@code alipay.public-key}. An expired certificate is a loud WARN, not a refusal: the signature is what proves
 * the sender, and the official SDK ignores the dates too.
 *
 * <p>In both modes verification gets {@link #publicKeyBase64()}. In certificate mode that is the key the SDK itself
 * takes from the certificate ({@code AlipaySignature.getAlipayPublicKey}, what {@code rsaCertCheckV1} does on every
 * call before it calls {@code rsaCheckV1}), taken once here: re-reading and re-parsing the file for each notification
 * cost more CPU than the signature check (BENCHMARKS.md), and VerificationEquivalenceTest shows the two verdicts agree.
 */
public final class AlipayKey {
    private static final Logger LOG = LogManager.getLogger(AlipayKey.class);

    private final Path origin;
    private final String publicKeyBase64;
    private final X509Certificate certificate;

    private AlipayKey(Path origin, String publicKeyBase64, X509Certificate certificate) {
        this.origin = origin;
        this.publicKeyBase64 = publicKeyBase64;
        this.certificate = certificate;
    }

    public static AlipayKey load(AppSettings app, Clock clock) {
        if (app.certPath().isPresent()) {
            return fromCertificate(app.key(AppSettings.CERT_PATH), app.certPath().get().toAbsolutePath().normalize(),
                    app.sellerIds(), clock);
        }
        return fromPublicKey(app.key(AppSettings.PUBLIC_KEY), app.publicKey().orElseThrow());
    }

    /** In certificate mode, the configured file. */
    public Optional<Path> origin() {
        return Optional.ofNullable(origin);
    }

    /** The key handed to {@code rsaCheckV1}: base64 of the X.509 SubjectPublicKeyInfo. */
    public String publicKeyBase64() {
        return publicKeyBase64;
    }

    /** What identifies the key in logs and the health check: the certificate serial, or a key fingerprint. */
    public String id() {
        if (certificate != null) {
            return "serial " + certificate.getSerialNumber().toString(16);
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Base64.getDecoder().decode(publicKeyBase64));
            return "sha256 " + java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Same key material (certificate or public key). */
    boolean sameKeyAs(AlipayKey other) {
        if (certificate != null && other.certificate != null) {
            return certificate.equals(other.certificate);
        }
        return publicKeyBase64 != null && publicKeyBase64.equals(other.publicKeyBase64);
    }

    public Optional<X509Certificate> certificate() {
        return Optional.ofNullable(certificate);
    }

    /** Days until the certificate expires, negative once expired; empty in public-key mode. */
    public Optional<Long> daysUntilExpiry(Clock clock) {
        return certificate().map(c -> Duration.between(clock.instant(), c.getNotAfter().toInstant()).toDays());
    }

    /** @param setting the key of the setting that names the file, for messages */
    public static AlipayKey fromCertificate(String setting, Path path, Set<String> sellerIds, Clock clock) {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new SettingsException(setting, "names '" + path
                    + "', which is not a readable file (the SDK needs a file-system path, not a classpath resource)");
        }
        byte[] bytes;
        X509Certificate cert;
        try {
            bytes = Files.readAllBytes(path);
            cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(bytes));
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new SettingsException(setting, "names '" + path
                    + "', which does not start with an X.509 certificate: " + e.getMessage());
        }
        requireRsa(setting, cert.getPublicKey());
        String sdkKey = sdkPublicKey(setting, path, bytes);
        if (!sdkKey.equals(Base64.getEncoder().encodeToString(cert.getPublicKey().getEncoded()))) {
            throw new SettingsException(setting, "names '" + path
                    + "': the SDK reads a different key from it than the first certificate holds");
        }
        String subject = cert.getSubjectX500Principal().getName();
        Instant notAfter = cert.getNotAfter().toInstant();
        long daysLeft = Duration.between(clock.instant(), notAfter).toDays();
        LOG.info("Alipay certificate {}: subject '{}', serial {}, valid until {} ({} days)", path, subject,
                cert.getSerialNumber().toString(16), notAfter, daysLeft);
        if (notAfter.isBefore(clock.instant())) {
            LOG.warn("The Alipay certificate {} EXPIRED on {}: notifications it verifies are still accepted (the "
                    + "signature proves the sender), but download the current certificate from the Alipay console",
                    path, notAfter);
        }
        if (!subject.contains("OU=Alipay")) {
            LOG.warn("The certificate {} has no OU=Alipay in its subject '{}': is it your app's certificate rather "
                    + "than alipayCertPublicKey_RSA2.crt? Notifications will fail to verify if so.", path, subject);
        }
        String pid = subject.replaceAll("(?s).*-(\\d{16})(,.*)?$", "$1");
        if (pid.matches("\\d{16}") && !sellerIds.isEmpty() && !sellerIds.contains(pid)) {
            LOG.warn("The certificate {} names PID {}, which is not among the app's seller ids {}", path, pid,
                    sellerIds);
        }
        return new AlipayKey(path, sdkKey, cert);
    }

    /**
     * The key as the SDK takes it from a certificate file (BouncyCastle, its own PEM handling). It reads a private
     * copy of the bytes parsed above, not the configured file again: that file may be replaced in between.
     */
    private static String sdkPublicKey(String setting, Path path, byte[] bytes) {
        Path copy = null;
        try {
            copy = Files.createTempFile("alipay-notify-cert-", ".crt");
            Files.write(copy, bytes);
            return AlipaySignature.getAlipayPublicKey(copy.toString());
        } catch (IOException e) {
            throw new SettingsException(setting, "could not be copied under java.io.tmpdir for the SDK to"
                    + " read: " + e);
        } catch (AlipayApiException | RuntimeException e) {
            throw new SettingsException(setting, "names '" + path
                    + "', which the Alipay SDK cannot read: " + e.getClass().getSimpleName());
        } finally {
            if (copy != null) {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException ignored) {
                    // a leftover copy of a public certificate in java.io.tmpdir is harmless
                }
            }
        }
    }

    /** @param setting the key of the setting that holds it, for messages */
    public static AlipayKey fromPublicKey(String setting, String configured) {
        String base64 = configured.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        if (configured.contains("PRIVATE KEY")) {
            throw new SettingsException(setting, "holds a private key; it must be the Alipay public key");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new SettingsException(setting, "is not valid base64");
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new SettingsException(setting,
                    "is not an RSA public key (X.509 SubjectPublicKeyInfo in base64, as the Alipay console shows it)");
        }
        requireRsa(setting, key);
        LOG.info("Alipay public key loaded ({} bits)", ((RSAPublicKey) key).getModulus().bitLength());
        return new AlipayKey(null, base64, null);
    }

    private static void requireRsa(String settingKey, PublicKey key) {
        if (!(key instanceof RSAPublicKey rsa)) {
            throw new SettingsException(settingKey, "holds a " + key.getAlgorithm() + " key; Alipay signs with RSA");
        }
        BigInteger modulus = rsa.getModulus();
        if (modulus.bitLength() < 2048) {
            LOG.warn("{} holds a {}-bit RSA key; Alipay's RSA2 keys are 2048 bits", settingKey, modulus.bitLength());
        }
    }
}
