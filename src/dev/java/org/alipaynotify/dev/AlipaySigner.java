package org.alipaynotify.dev;

import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Signs notifications the way Alipay does (rule V1), independently of the SDK that verifies them; the one
 * implementation used by the simulator and the tests: every parameter except
 * sign and sign_type, empty or blank keys and values left out, keys sorted, {@code k=v} joined by {@code &}, bytes in the
 * notification's charset, SHA256withRSA (RSA2) or SHA1withRSA (RSA). Encodes bodies the way Java's URLEncoder does
 * (space as {@code +}, {@code +} as {@code %2B}), as Alipay sends them.
 */
public final class AlipaySigner {
    private final PrivateKey key;

    public AlipaySigner(PrivateKey key) {
        this.key = key;
    }

    public static String signContent(Map<String, String> params) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            if (e.getKey().equals("sign") || e.getKey().equals("sign_type")) {
                continue;
            }
            // as the SDK and Alipay do: a key or value that is empty or white space only is not signed
            if (e.getKey().isBlank() || e.getValue() == null || e.getValue().isBlank()) {
                continue;
            }
            parts.add(e.getKey() + "=" + e.getValue());
        }
        return String.join("&", parts);
    }

    /** The sign value for these params; the charset comes from the params' own charset field (utf-8 if absent). */
    public String sign(Map<String, String> params, String algorithm) {
        return sign(params, algorithm, charsetOf(params));
    }

    /**
     * The sign value over the content's bytes in {@code charset}, whatever the params' charset field says: an older
     * GBK app's notifications carry no charset field and are signed over GBK bytes.
     */
    public String sign(Map<String, String> params, String algorithm, Charset charset) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(signContent(params).getBytes(charset));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of params with sign (RSA2) and sign_type added. */
    public Map<String, String> signed(Map<String, String> params) {
        return signed(params, "RSA2");
    }

    /** A copy of params with sign and sign_type added; {@code RSA2} is SHA256withRSA, {@code RSA} SHA1withRSA. */
    public Map<String, String> signed(Map<String, String> params, String signType) {
        return signed(params, signType, charsetOf(params));
    }

    /** As {@link #signed(Map, String)}, over the content's bytes in {@code charset}. */
    public Map<String, String> signed(Map<String, String> params, String signType, Charset charset) {
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sign");
        out.remove("sign_type");
        out.put("sign_type", signType);
        out.put("sign", sign(out, signType.equals("RSA") ? "SHA1withRSA" : "SHA256withRSA", charset));
        return out;
    }

    /** The form body, encoded in the params' own charset. */
    public static byte[] formBody(Map<String, String> params) {
        return formBody(params, charsetOf(params));
    }

    /** The form body with every key and value percent-encoded in {@code charset}. */
    public static byte[] formBody(Map<String, String> params, Charset charset) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> e : params.entrySet()) {
            parts.add(URLEncoder.encode(e.getKey(), charset) + "=" + URLEncoder.encode(e.getValue(), charset));
        }
        // The encoded form is pure ASCII whatever the charset.
        return String.join("&", parts).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static Charset charsetOf(Map<String, String> params) {
        return Charset.forName(params.getOrDefault("charset", "utf-8"));
    }
}
