package org.alipaynotify.testsupport;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A stand-in for Alipay's key pair and public-key certificate, made at run time (RSA 2048, X.509, PEM files that
 * openssl reads). Nothing private is ever committed. Uses the default JCA providers: registering BouncyCastle
 * JVM-wide here would clash with the copy the webapp under test registers.
 */
public final class TestKeys {
    public static final String PID = "2088000000000001";

    private final KeyPair keyPair;
    private final X509Certificate certificate;

    private TestKeys(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** A key pair with a certificate valid from yesterday for a year. */
    public static TestKeys generate() {
        return generate(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)));
    }

    public static TestKeys generate(Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair pair = g.generateKeyPair();
            X500Name subject = new X500Name("C=CN,O=alipay-notify tests,OU=Alipay,CN=Test Alipay-" + PID);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), subject,
                    pair.getPublic());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
            return new TestKeys(pair, cert);
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The public key as the Alipay console shows it: base64 of the SubjectPublicKeyInfo. */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
    }

    /** Writes the certificate as PEM, optionally followed by more certificates (a chain, as Alipay ships it). */
    public Path writeCertificate(Path file, X509Certificate... followers) throws IOException {
        StringBuilder pem = new StringBuilder(pem(certificate));
        for (X509Certificate c : followers) {
            pem.append(pem(c));
        }
        Files.writeString(file, pem.toString(), StandardCharsets.US_ASCII);
        return file;
    }

    private static String pem(X509Certificate c) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
