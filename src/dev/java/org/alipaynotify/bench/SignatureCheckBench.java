package org.alipaynotify.bench;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: three ways to check one RSA2 notification signature (rule V1), so the cost of each choice is on record.
 * Every variant starts from {@code new HashMap<>(signed)}: the SDK removes sign and sign_type from the map it gets,
 * so production passes a copy, and the copy is timed in all three to keep the comparison fair. Always the
 * 4-argument SDK forms with "RSA2" (the 3-argument ones use SHA1).
 */
// Mode, time unit, forks and iterations: MicroBench sets them for every benchmark, in one place.
@State(Scope.Benchmark)
public class SignatureCheckBench {
    private static final String CHARSET = "utf-8";
    private static final String SIGN_TYPE = "RSA2";

    private MicroBenchFixture fixture;
    private Map<String, String> signed;
    private String certPath;
    /** The certificate's key as the SDK's key mode wants it, taken once through the SDK's own certificate reader. */
    private String keyBase64;
    private PublicKey publicKey;

    @Setup
    public void setup() throws Exception {
        fixture = new MicroBenchFixture();
        signed = fixture.signed;
        certPath = fixture.certFile.toString();
        keyBase64 = AlipaySignature.getAlipayPublicKey(certPath);
        try (InputStream in = Files.newInputStream(fixture.certFile)) { // as a service would at start-up
            publicKey = CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey();
        }
        // fail loudly: a variant that returns false (or throws) would be timing a different code path
        if (!sdkCertPathPerCall() || !sdkKeyOnce() || !plainJca()) {
            throw new IllegalStateException("a variant does not accept the valid notification");
        }
        Map<String, String> good = signed;
        signed = new HashMap<>(good);
        signed.put("total_amount", "0.01"); // and each must also refuse a tampered one, or it checks nothing
        if (sdkCertPathPerCall() || sdkKeyOnce() || plainJca()) {
            throw new IllegalStateException("a variant accepts a tampered notification");
        }
        signed = good;
    }

    @TearDown
    public void tearDown() {
        fixture.close();
    }

    /** What the SDK's certificate mode does on every call: read and parse the certificate file (BouncyCastle). */
    @Benchmark
    public boolean sdkCertPathPerCall() throws AlipayApiException {
        return AlipaySignature.rsaCertCheckV1(new HashMap<>(signed), certPath, CHARSET, SIGN_TYPE);
    }

    /** The SDK's key mode with the key taken from the certificate once; it still decodes the base64 key per call. */
    @Benchmark
    public boolean sdkKeyOnce() throws AlipayApiException {
        return AlipaySignature.rsaCheckV1(new HashMap<>(signed), keyBase64, CHARSET, SIGN_TYPE);
    }

    /** Plain JCA with a PublicKey parsed once; the SDK only builds the signed content. */
    @Benchmark
    public boolean plainJca() throws GeneralSecurityException {
        Map<String, String> copy = new HashMap<>(signed);
        byte[] sign = Base64.getDecoder().decode(copy.get("sign")); // before getSignCheckContentV1 removes it
        byte[] content = AlipaySignature.getSignCheckContentV1(copy).getBytes(StandardCharsets.UTF_8);
        Signature s = Signature.getInstance("SHA256withRSA"); // per call: a Signature is not thread-safe
        s.initVerify(publicKey);
        s.update(content);
        return s.verify(sign);
    }
}
