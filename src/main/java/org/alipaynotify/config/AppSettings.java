package org.alipaynotify.config;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * One Alipay app served at the endpoint, as configured: its id, its Alipay key (a certificate file or a public key),
 * the seller ids it accepts and its sign type. The single-app keys ({@code alipay.app-id} ...) make one implicit app
 * named {@code default}; {@code alipay.apps} names several, each with {@code alipay.app.NAME.*}.
 *
 * @param keyPrefix     {@code alipay.} for the implicit app, {@code alipay.app.NAME.} otherwise: the app's setting
 *                      keys are this plus {@code app-id}, {@code cert-path} ... (see {@link #key})
 * @param publicKeyFile the properties file the public key was read from, when it was (so it can be re-read for a
 *                      new key); else null
 * @param defaultCharset the charset of a notification without a charset field (one of {@link Settings#CHARSETS})
 */
public record AppSettings(String name, String appId, Set<String> sellerIds, Path certPathOrNull,
        String publicKeyOrNull, Path publicKeyFile, Settings.SignType signType, String keyPrefix,
        Path appPrivateKeyPath, Path appCertPath, Path alipayRootCertPath, String defaultCharset) {

    public static final String APP_ID = "app-id";
    public static final String SELLER_ID = "seller-id";
    public static final String CERT_PATH = "cert-path";
    public static final String PUBLIC_KEY = "public-key";
    public static final String SIGN_TYPE = "sign-type";
    /** Our app's private key (PKCS#8 PEM), to sign requests to Alipay's gateway (the active query, the bill). */
    public static final String APP_PRIVATE_KEY_PATH = "app-private-key-path";
    /** Certificate mode, for gateway requests: our app's public-key certificate (its serial goes with a request). */
    public static final String APP_CERT_PATH = "app-cert-path";
    /** Certificate mode, for gateway requests: Alipay's root certificate (its serial goes with a request). */
    public static final String ALIPAY_ROOT_CERT_PATH = "root-cert-path";
    public static final String DEFAULT_CHARSET = "default-charset";
    /** What follows {@code alipay.app.NAME.}; the implicit app's keys are {@code alipay.} plus the same. */
    public static final Set<String> SUFFIXES = Set.of(APP_ID, SELLER_ID, CERT_PATH, PUBLIC_KEY, SIGN_TYPE,
            APP_PRIVATE_KEY_PATH, APP_CERT_PATH, ALIPAY_ROOT_CERT_PATH, DEFAULT_CHARSET);

    /** The full key of one of this app's settings, e.g. {@code alipay.app.web.cert-path}. */
    public String key(String suffix) {
        return keyPrefix + suffix;
    }

    public Optional<Path> certPath() {
        return Optional.ofNullable(certPathOrNull);
    }

    public Optional<String> publicKey() {
        return Optional.ofNullable(publicKeyOrNull);
    }

    public Optional<Path> publicKeyFileOf() {
        return Optional.ofNullable(publicKeyFile);
    }

    /** Written out: a record's generated equals and hashCode would pin the webapp's class loader (see OrderRow). */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "app " + name + " (" + appId + ")";
    }
}
