package org.alipaynotify.dev;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A stand-in for Alipay's key pair and public-key certificate (RSA 2048, X.509, PEM files openssl reads), for the
 * local run's sandbox mode and the tests. Never for production: whoever holds the private key can sign anything.
 * Uses the default JCA providers: registering BouncyCastle JVM-wide here would clash with the copy the webapp
 * registers.
 */
public final class SandboxKeys {
    /** The sandbox merchant PID; it ends the certificate's CN as in Alipay's real certificates. */
    public static final String PID = "2088000000000001";
    public static final String PRIVATE_KEY_FILE = "alipay-sandbox-private-key.pem";
    public static final String CERT_FILE = "alipayCertPublicKey_RSA2.crt";

    private final KeyPair keyPair;
    private final X509Certificate certificate;

    private SandboxKeys(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** A key pair with a certificate valid from yesterday for a year. */
    public static SandboxKeys generate() {
        return generate(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)));
    }

    public static SandboxKeys generate(Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair pair = g.generateKeyPair();
            X500Name subject = new X500Name("C=CN,O=alipay-notify sandbox,OU=Alipay,CN=Sandbox Alipay-" + PID);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), subject,
                    pair.getPublic());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
            return new SandboxKeys(pair, cert);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The keys kept in {@code dir}, made there (valid ten years) the first time. */
    public static SandboxKeys loadOrCreate(Path dir) throws IOException {
        Path keyFile = dir.resolve(PRIVATE_KEY_FILE);
        Path certFile = dir.resolve(CERT_FILE);
        if (Files.isRegularFile(keyFile) && Files.isRegularFile(certFile)) {
            try (InputStream in = Files.newInputStream(certFile)) {
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(in);
                return new SandboxKeys(new KeyPair(cert.getPublicKey(), readPrivateKey(keyFile)), cert);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot read the sandbox keys in " + dir + ": " + e.getMessage(), e);
            }
        }
        Files.createDirectories(dir);
        SandboxKeys keys = generate(Instant.now().minus(Duration.ofDays(1)),
                Instant.now().plus(Duration.ofDays(3650)));
        keys.writePrivateKey(keyFile);
        keys.writeCertificate(certFile);
        return keys;
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
        try {
            StringBuilder pem = new StringBuilder(pem("CERTIFICATE", certificate.getEncoded()));
            for (X509Certificate c : followers) {
                pem.append(pem("CERTIFICATE", c.getEncoded()));
            }
            Files.writeString(file, pem.toString(), StandardCharsets.US_ASCII);
            return file;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#8 PEM, as {@code openssl genpkey} writes it. */
    public Path writePrivateKey(Path file) throws IOException {
        Files.writeString(file, pem("PRIVATE KEY", keyPair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        return file;
    }

    /** A PKCS#8 RSA private key, as PEM or as the bare base64 the Alipay key tool prints. */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        if (text.contains("BEGIN RSA PRIVATE KEY")) {
            throw new IOException(file + " holds a PKCS#1 key; convert it with"
                    + " 'openssl pkcs8 -topk8 -nocrypt -in " + file + "'");
        }
        String base64 = text.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " is not a PKCS#8 RSA private key: " + e.getMessage(), e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
