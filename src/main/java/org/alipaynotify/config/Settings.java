package org.alipaynotify.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.alipaynotify.Text;

/**
 * Validated configuration. Each key is read, in this order of precedence, from a system property, from the
 * environment variable named by {@link #envName(String)} (always {@code ALIPAY_NOTIFY_...}), or from the properties
 * file named by {@code alipay-notify.config} ({@code ALIPAY_NOTIFY_CONFIG}). Everything is checked here, once, at start-up: a wrong
 * setting throws {@link SettingsException} naming the key.
 */
public final class Settings {
    public static final String CONFIG_FILE = "alipay-notify.config";
    public static final String APP_ID = "alipay.app-id";
    public static final String SELLER_ID = "alipay.seller-id";
    public static final String CERT_PATH = "alipay.cert-path";
    public static final String PUBLIC_KEY = "alipay.public-key";
    public static final String SIGN_TYPE = "alipay.sign-type";
    public static final String CERT_RELOAD_SECONDS = "alipay.cert-reload-seconds";
    public static final String DB_URL = "db.url";
    public static final String DB_USER = "db.user";
    public static final String DB_PASSWORD = "db.password";
    public static final String DB_POOL_SIZE = "db.pool-size";
    public static final int DEFAULT_POOL_SIZE = 10;
    public static final String DB_INIT_SCHEMA = "db.init-schema";
    public static final String DB_CONNECTION_TIMEOUT_MS = "db.connection-timeout-ms";
    public static final String DB_LOCK_WAIT_TIMEOUT_SECONDS = "db.lock-wait-timeout-seconds";
    public static final String MAX_BODY_BYTES = "notify.max-body-bytes";
    public static final String RETENTION_DAYS = "notify.retention-days";
    /** Every environment variable we read starts with it, so generic names in a shared container are never ours. */
    public static final String ENV_PREFIX = "ALIPAY_NOTIFY_";

    /** Every key this application reads; a properties file holding another key of ours is a typo and refused. */
    public static final List<String> KEYS = List.of(APP_ID, SELLER_ID, CERT_PATH, PUBLIC_KEY, SIGN_TYPE,
            CERT_RELOAD_SECONDS, DB_URL,
            DB_USER, DB_PASSWORD, DB_POOL_SIZE, DB_INIT_SCHEMA, DB_CONNECTION_TIMEOUT_MS,
            DB_LOCK_WAIT_TIMEOUT_SECONDS, MAX_BODY_BYTES, RETENTION_DAYS);

    public enum SignType { RSA2, RSA }

    private final String appId;
    private final Set<String> sellerIds;
    private final Path certPath;
    private final String publicKey;
    private final SignType signType;
    private final int certReloadSeconds;
    private final Path publicKeyFile;
    private final String dbUrl;
    private final String dbUser;
    private final String dbPassword;
    private final int poolSize;
    private final boolean initSchema;
    private final int connectionTimeoutMs;
    private final int lockWaitTimeoutSeconds;
    private final int maxBodyBytes;
    private final int retentionDays;

    private Settings(Lookup in, boolean containerDataSource) {
        requireAllPresent(in, containerDataSource);
        appId = in.required(APP_ID);
        if (!appId.matches("[0-9A-Za-z_-]{1,64}")) {
            throw new SettingsException(APP_ID, "must be the Alipay app id (letters and digits), got '" + appId + "'");
        }
        sellerIds = parseSellerIds(in.optional(SELLER_ID).orElse(""));
        Optional<String> cert = in.optional(CERT_PATH);
        Optional<String> key = in.optional(PUBLIC_KEY);
        if (cert.isPresent() && key.isPresent()) {
            throw new SettingsException(CERT_PATH, "and " + SettingsException.describe(PUBLIC_KEY)
                    + " are both set: choose certificate mode or public-key mode, not both");
        }
        if (cert.isEmpty() && key.isEmpty()) {
            String hint = in.formerNameHint(CERT_PATH).strip();
            throw new SettingsException(CERT_PATH, (hint.isEmpty() ? "" : hint + " ") + "or "
                    + SettingsException.describe(PUBLIC_KEY) + in.formerNameHint(PUBLIC_KEY)
                    + " is required: the Alipay public-key certificate file, or the Alipay public key in base64");
        }
        certPath = cert.map(Path::of).orElse(null);
        publicKey = key.orElse(null);
        publicKeyFile = key.isPresent() && in.fromFile(PUBLIC_KEY) ? in.filePath : null;
        String st = in.optional(SIGN_TYPE).orElse("RSA2");
        try {
            signType = SignType.valueOf(st.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(SIGN_TYPE, "must be RSA2 or RSA, got '" + st + "'");
        }
        certReloadSeconds = in.integer(CERT_RELOAD_SECONDS, 10, 0, 86_400);
        dbUrl = containerDataSource ? in.optional(DB_URL).orElse(null) : in.required(DB_URL);
        if (dbUrl != null && !dbUrl.startsWith("jdbc:mysql:")) {
            throw new SettingsException(DB_URL, "must be a MySQL Connector/J URL starting with jdbc:mysql://, got '"
                    + Text.maskSecrets(dbUrl) + "'");
        }
        dbUser = in.optional(DB_USER).orElse(null);
        dbPassword = in.raw(DB_PASSWORD);
        poolSize = in.integer(DB_POOL_SIZE, DEFAULT_POOL_SIZE, 1, 500);
        initSchema = in.bool(DB_INIT_SCHEMA, true);
        connectionTimeoutMs = in.integer(DB_CONNECTION_TIMEOUT_MS, 5_000, 250, 600_000);
        lockWaitTimeoutSeconds = in.integer(DB_LOCK_WAIT_TIMEOUT_SECONDS, 10, 1, 3_600);
        maxBodyBytes = in.integer(MAX_BODY_BYTES, 64 * 1024, 1_024, 16 * 1024 * 1024);
        retentionDays = in.integer(RETENTION_DAYS, 0, 0, 36_500);
        if (retentionDays > 0 && retentionDays < 3) {
            // Alipay redelivers for about 25 hours; the record of a notify_id must outlive its redeliveries.
            throw new SettingsException(RETENTION_DAYS, "must be 0 (keep for ever) or at least 3, got "
                    + retentionDays);
        }
    }

    /** Reads the real system properties and environment. */
    public static Settings load() {
        return load(asMap(System.getProperties()), System.getenv(), Map.of());
    }

    public static Settings load(Map<String, String> systemProperties, Map<String, String> environment) {
        return load(systemProperties, environment, Map.of());
    }

    /**
     * @param fallback values for keys that none of the three sources sets; only the local run supplies any (see
     *                 {@link LocalRun})
     */
    public static Settings load(Map<String, String> systemProperties, Map<String, String> environment,
            Map<String, String> fallback) {
        return load(systemProperties, environment, fallback, false);
    }

    /** @param containerDataSource the container provides the DataSource (JNDI), so db.url is not required */
    public static Settings load(Map<String, String> systemProperties, Map<String, String> environment,
            Map<String, String> fallback, boolean containerDataSource) {
        return new Settings(new Lookup(systemProperties, environment, fallback), containerDataSource);
    }

    /** The keys that the system properties, the environment or the properties file set (non-blank). */
    public static Set<String> configuredKeys(Map<String, String> systemProperties, Map<String, String> environment) {
        Lookup in = new Lookup(systemProperties, environment, Map.of());
        Set<String> keys = new TreeSet<>();
        for (String key : KEYS) {
            in.optional(key).ifPresent(v -> keys.add(key));
        }
        return keys;
    }

    public static Map<String, String> systemProperties() {
        return asMap(System.getProperties());
    }

    /** A deployment without configuration hears about every missing key at once, not one per restart. */
    private static void requireAllPresent(Lookup in, boolean containerDataSource) {
        List<String> keys = new ArrayList<>();
        List<String> described = new ArrayList<>();
        if (in.optional(APP_ID).isEmpty()) {
            keys.add(APP_ID);
            described.add(SettingsException.describe(APP_ID) + in.formerNameHint(APP_ID));
        }
        if (in.optional(CERT_PATH).isEmpty() && in.optional(PUBLIC_KEY).isEmpty()) {
            keys.add(CERT_PATH);
            described.add(SettingsException.describe(CERT_PATH) + in.formerNameHint(CERT_PATH) + " or "
                    + SettingsException.describe(PUBLIC_KEY) + in.formerNameHint(PUBLIC_KEY));
        }
        if (in.optional(DB_URL).isEmpty() && !containerDataSource) {
            keys.add(DB_URL);
            described.add(SettingsException.describe(DB_URL) + in.formerNameHint(DB_URL));
        }
        if (keys.size() > 1) {
            // the message starts with the first key's description, as SettingsException writes it
            String first = described.get(0).substring(SettingsException.describe(keys.get(0)).length()).strip();
            throw new SettingsException(keys.get(0), (first.isEmpty() ? "" : first + " ") + "is required, and so"
                    + " are " + String.join(", ", described.subList(1, described.size())));
        }
    }

    /**
     * {@code alipay.app-id} becomes {@code ALIPAY_NOTIFY_APP_ID}: the product's prefix, then the key without a
     * leading {@code alipay.}, {@code notify.} or {@code alipay-notify.} segment, upper case, {@code .} and {@code -}
     * as {@code _} ({@code db.url}: {@code ALIPAY_NOTIFY_DB_URL}; the config file: {@code ALIPAY_NOTIFY_CONFIG}).
     */
    public static String envName(String key) {
        String rest = key;
        for (String segment : new String[] {"alipay-notify.", "alipay.", "notify."}) {
            if (rest.startsWith(segment)) {
                rest = rest.substring(segment.length());
                break;
            }
        }
        return ENV_PREFIX + rest.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * The generic name a key was read from before the prefix ({@code DB_URL}, {@code ALIPAY_APP_ID}); never read
     * now, since other software in the same container may set it, only named when our own is missing.
     */
    static String formerEnvName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Set<String> parseSellerIds(String list) {
        Set<String> ids = new LinkedHashSet<>();
        for (String part : list.split(",", -1)) {
            String id = part.trim();
            if (id.isEmpty()) {
                if (!list.isBlank()) {
                    throw new SettingsException(SELLER_ID, "has an empty entry in '" + list + "'");
                }
                continue;
            }
            if (!id.matches("[0-9]{1,32}")) {
                throw new SettingsException(SELLER_ID, "must list Alipay PIDs (digits, such as 2088...), got '"
                        + id + "'");
            }
            ids.add(id);
        }
        return Collections.unmodifiableSet(ids);
    }

    private static Map<String, String> asMap(Properties p) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String name : p.stringPropertyNames()) {
            m.put(name, p.getProperty(name));
        }
        return m;
    }

    public String appId() { return appId; }
    /** Empty when any seller id is accepted. */
    public Set<String> sellerIds() { return sellerIds; }
    public Optional<Path> certPath() { return Optional.ofNullable(certPath); }
    public Optional<String> publicKey() { return Optional.ofNullable(publicKey); }
    public SignType signType() { return signType; }
    /** How often a changed certificate file (or properties file holding the public key) is looked for; 0: never. */
    public int certReloadSeconds() { return certReloadSeconds; }
    /** The properties file the public key was read from, when it was (so it can be re-read for a new key). */
    public Optional<Path> publicKeyFile() { return Optional.ofNullable(publicKeyFile); }

    /** Re-reads one key from a properties file (for rotation without restart). */
    public static Optional<String> readFromFile(Path file, String key) {
        String v = loadProperties(file).getProperty(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** The properties file named by {@code alipay-notify.config}, read as UTF-8. */
    private static Properties loadProperties(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SettingsException(CONFIG_FILE, "names '" + file + "', which cannot be read: " + e);
        }
        return p;
    }
    /** Empty only when the container provides the DataSource. */
    public Optional<String> dbUrl() { return Optional.ofNullable(dbUrl); }
    public Optional<String> dbUser() { return Optional.ofNullable(dbUser); }
    public Optional<String> dbPassword() { return Optional.ofNullable(dbPassword); }
    public int poolSize() { return poolSize; }
    public boolean initSchema() { return initSchema; }
    public int connectionTimeoutMs() { return connectionTimeoutMs; }
    public int lockWaitTimeoutSeconds() { return lockWaitTimeoutSeconds; }
    public int maxBodyBytes() { return maxBodyBytes; }
    /** Days to keep notification and refusal records; 0: for ever. */
    public int retentionDays() { return retentionDays; }

    /** The three sources in order of precedence. */
    private static final class Lookup {
        private final Map<String, String> sys;
        private final Map<String, String> env;
        private final Properties file;
        private final Path filePath;
        private final Map<String, String> fallback;

        Lookup(Map<String, String> sys, Map<String, String> env, Map<String, String> fallback) {
            this.sys = sys;
            this.env = env;
            this.fallback = fallback;
            String fileName = firstNonBlank(sys.get(CONFIG_FILE), env.get(envName(CONFIG_FILE)));
            filePath = fileName == null ? null : Path.of(fileName).toAbsolutePath();
            file = filePath == null ? new Properties() : loadProperties(filePath);
            if (filePath != null) {
                Path path = filePath;
                Set<String> unknown = new TreeSet<>();
                for (String name : file.stringPropertyNames()) {
                    boolean ours = name.startsWith("alipay.") || name.startsWith("db.") || name.startsWith("notify.");
                    if (ours && !KEYS.contains(name)) {
                        unknown.add(name);
                    }
                }
                if (!unknown.isEmpty()) {
                    throw new SettingsException(CONFIG_FILE, "file '" + path + "' holds unknown keys " + unknown
                            + "; known keys are " + KEYS);
                }
            }
        }

        /** The value as given, blank included (a password may be blank). */
        String raw(String key) {
            String v = sys.get(key);
            if (v == null) {
                v = env.get(envName(key));
            }
            if (v == null) {
                v = file.getProperty(key);
            }
            if (v == null) {
                v = fallback.get(key);
            }
            return v;
        }

        /** True when the value in use comes from the properties file. */
        boolean fromFile(String key) {
            return sys.get(key) == null && env.get(envName(key)) == null && file.getProperty(key) != null;
        }

        /** Trimmed; blank counts as absent. */
        Optional<String> optional(String key) {
            String v = raw(key);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        String required(String key) {
            return optional(key).orElseThrow(() -> new SettingsException(key, "is required" + formerNameHint(key)));
        }

        /** " (DB_URL is set but not read any more: rename it ALIPAY_NOTIFY_DB_URL)", or "". */
        String formerNameHint(String key) {
            String former = formerEnvName(key);
            String value = env.get(former);
            if (former.equals(envName(key)) || value == null || value.isBlank()) {
                return "";
            }
            return " (" + former + " is set but not read any more: rename it " + envName(key) + ")";
        }

        int integer(String key, int fallback, int min, int max) {
            Optional<String> v = optional(key);
            if (v.isEmpty()) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v.get());
                if (n < min || n > max) {
                    throw new SettingsException(key, "must be between " + min + " and " + max + ", got " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new SettingsException(key, "must be a whole number, got '" + v.get() + "'");
            }
        }

        boolean bool(String key, boolean fallback) {
            Optional<String> v = optional(key);
            if (v.isEmpty()) {
                return fallback;
            }
            switch (v.get().toLowerCase(Locale.ROOT)) {
                case "true": return true;
                case "false": return false;
                default: throw new SettingsException(key, "must be true or false, got '" + v.get() + "'");
            }
        }

        private static String firstNonBlank(String a, String b) {
            if (a != null && !a.isBlank()) {
                return a.trim();
            }
            return b != null && !b.isBlank() ? b.trim() : null;
        }
    }
}
