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
    /** Names several apps, each with alipay.app.NAME.* settings; without it the single-app keys below are one app. */
    public static final String APPS = "alipay.apps";
    public static final String APP_PREFIX = "alipay.app.";
    public static final String APP_ID = "alipay.app-id";
    public static final String SELLER_ID = "alipay.seller-id";
    public static final String CERT_PATH = "alipay.cert-path";
    public static final String PUBLIC_KEY = "alipay.public-key";
    public static final String SIGN_TYPE = "alipay.sign-type";
    public static final String CERT_RELOAD_SECONDS = "alipay.cert-reload-seconds";
    /** The charset of a notification that names none (older GBK apps send no charset field and sign GBK bytes). */
    public static final String DEFAULT_CHARSET = "alipay.default-charset";
    /** The charsets Alipay uses, lower case: what a body's charset field and the default-charset settings may name. */
    public static final List<String> CHARSETS = List.of("utf-8", "gbk", "gb2312", "gb18030");
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
    public static final String REFUSAL_RECORDS_PER_SECOND = "notify.refusal-records-per-second";
    public static final String REFUSAL_RETENTION_DAYS = "notify.refusal-retention-days";
    public static final int DEFAULT_REFUSAL_RECORDS_PER_SECOND = 5;
    /** The silence alarm counts orders waiting for payment longer than this; 0: no count. */
    public static final String WAITING_ALERT_MINUTES = "notify.waiting-alert-minutes";
    public static final String ORDER_LOOKUP_SQL = "order.lookup-sql";
    public static final String ORDER_ON_PAID_SQL = "order.on-paid-sql";
    public static final String ORDER_ON_REFUNDED_SQL = "order.on-refunded-sql";
    public static final String ORDER_ON_FINISHED_SQL = "order.on-finished-sql";
    public static final String ORDER_ON_CLOSED_SQL = "order.on-closed-sql";
    public static final String ORDER_ON_ATTENTION_SQL = "order.on-attention-sql";
    public static final String ORDER_ON_ZERO_ROWS = "order.on-zero-rows";
    /** With your own order table: which orders wait for payment (for the active query). */
    public static final String ORDER_WAITING_SQL = "order.waiting-sql";
    /** The merchant's statements, in the order reactions run. */
    public static final List<String> ORDER_SQL_KEYS = List.of(ORDER_LOOKUP_SQL, ORDER_ON_PAID_SQL,
            ORDER_ON_REFUNDED_SQL, ORDER_ON_FINISHED_SQL, ORDER_ON_CLOSED_SQL, ORDER_ON_ATTENTION_SQL,
            ORDER_WAITING_SQL);
    public static final String OPS_ALLOWED_NETWORKS = "ops.allowed-networks";
    /** Every environment variable we read starts with it, so generic names in a shared container are never ours. */
    public static final String ENV_PREFIX = "ALIPAY_NOTIFY_";
    public static final String APP_PRIVATE_KEY_PATH = "alipay.app-private-key-path";
    public static final String APP_CERT_PATH = "alipay.app-cert-path";
    public static final String ALIPAY_ROOT_CERT_PATH = "alipay.root-cert-path";
    public static final String QUERY_ENABLED = "query.enabled";
    public static final String QUERY_GATEWAY_URL = "query.gateway-url";
    public static final String QUERY_TIMEOUT_MS = "query.timeout-ms";
    public static final String QUERY_PER_MINUTE = "query.per-minute";
    public static final String BILL_ENABLED = "bill.enabled";
    public static final String BILL_RUN_AT = "bill.run-at";
    public static final String DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do";
    public static final String EVENTS_FORWARD_URL = "events.forward-url";
    public static final String EVENTS_SECRET = "events.secret";
    public static final String EVENTS_RETRY_SCHEDULE = "events.retry-schedule";
    public static final String EVENTS_TIMEOUT_MS = "events.timeout-ms";
    public static final String EVENTS_RETENTION_DAYS = "events.retention-days";
    /** About 28 hours of retries: longer than a receiver's bad day, as Alipay's own 25 hours are. */
    public static final String DEFAULT_RETRY_SCHEDULE = "15s,1m,5m,15m,30m,1h,2h,4h,8h,12h";

    /** Every key this application reads; a properties file holding another key of ours is a typo and refused. */
    public static final List<String> KEYS = List.of(APPS, APP_ID, SELLER_ID, CERT_PATH, PUBLIC_KEY, SIGN_TYPE,
            DEFAULT_CHARSET, CERT_RELOAD_SECONDS, DB_URL,
            DB_USER, DB_PASSWORD, DB_POOL_SIZE, DB_INIT_SCHEMA, DB_CONNECTION_TIMEOUT_MS,
            DB_LOCK_WAIT_TIMEOUT_SECONDS, MAX_BODY_BYTES, RETENTION_DAYS, REFUSAL_RECORDS_PER_SECOND,
            REFUSAL_RETENTION_DAYS, ORDER_LOOKUP_SQL, ORDER_ON_PAID_SQL, ORDER_ON_REFUNDED_SQL, ORDER_ON_FINISHED_SQL,
            ORDER_ON_CLOSED_SQL, ORDER_ON_ATTENTION_SQL, ORDER_ON_ZERO_ROWS, ORDER_WAITING_SQL, OPS_ALLOWED_NETWORKS,
            EVENTS_FORWARD_URL, EVENTS_SECRET, EVENTS_RETRY_SCHEDULE, EVENTS_TIMEOUT_MS, EVENTS_RETENTION_DAYS,
            APP_PRIVATE_KEY_PATH, APP_CERT_PATH, ALIPAY_ROOT_CERT_PATH, QUERY_ENABLED, QUERY_GATEWAY_URL,
            QUERY_TIMEOUT_MS, QUERY_PER_MINUTE, BILL_ENABLED, BILL_RUN_AT, WAITING_ALERT_MINUTES);
    /**
     * Environment variables of our prefix that belong to the tools around the webapp (the tests' database, the
     * benchmarks, the simulator's local-run directory), not to its settings.
     */
    static final List<String> TOOL_ENV_PREFIXES = List.of(ENV_PREFIX + "TEST_", ENV_PREFIX + "BENCH_",
            ENV_PREFIX + "LOCAL_");

    public enum SignType { RSA2, RSA }

    private final List<AppSettings> apps;
    private final int certReloadSeconds;
    private final String dbUrl;
    private final String dbUser;
    private final String dbPassword;
    private final int poolSize;
    private final boolean initSchema;
    private final int connectionTimeoutMs;
    private final int lockWaitTimeoutSeconds;
    private final int maxBodyBytes;
    private final int retentionDays;
    private final int refusalRecordsPerSecond;
    private final int refusalRetentionDays;
    private final Map<String, String> orderSql;
    private final boolean orderZeroRowsFail;
    private final Networks opsAllowedNetworks;
    private final java.net.URI eventsForwardUrl;
    private final byte[] eventsSecret;
    private final List<java.time.Duration> eventsRetrySchedule;
    private final int eventsTimeoutMs;
    private final int eventsRetentionDays;
    private final boolean queryEnabled;
    private final java.net.URI gatewayUrl;
    private final int queryTimeoutMs;
    private final int queryPerMinute;
    private final boolean billEnabled;
    private final java.time.LocalTime billRunAt;
    private final int waitingAlertMinutes;

    private Settings(Lookup in, boolean containerDataSource) {
        requireAllPresent(in, containerDataSource);
        apps = parseApps(in);
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
        // Enough to debug an integration (a few notifications a second), and a bound under a flood: at most about
        // 1.6 GB a day of refusal records (RELIABILITY.md, section 9), purged after refusal-retention-days.
        refusalRecordsPerSecond = in.integer(REFUSAL_RECORDS_PER_SECOND, DEFAULT_REFUSAL_RECORDS_PER_SECOND, 0,
                100_000);
        // Refusals are mostly junk from whoever can reach the URL: a fresh install must not keep them for ever.
        refusalRetentionDays = in.integer(REFUSAL_RETENTION_DAYS, 7, 0, 36_500);
        Map<String, String> sql = new java.util.LinkedHashMap<>();
        for (String k : ORDER_SQL_KEYS) {
            in.optional(k).ifPresent(v -> sql.put(k, v));
        }
        orderSql = Collections.unmodifiableMap(sql);
        String zeroRows = in.optional(ORDER_ON_ZERO_ROWS).orElse("warn").toLowerCase(Locale.ROOT);
        if (!zeroRows.equals("warn") && !zeroRows.equals("fail")) {
            throw new SettingsException(ORDER_ON_ZERO_ROWS, "must be warn or fail, got '" + zeroRows + "'");
        }
        orderZeroRowsFail = zeroRows.equals("fail");
        opsAllowedNetworks = in.optional(OPS_ALLOWED_NETWORKS)
                .map(list -> Networks.parse(OPS_ALLOWED_NETWORKS, list)).orElse(Networks.DEFAULT);
        eventsForwardUrl = in.optional(EVENTS_FORWARD_URL).map(Settings::forwardUrl).orElse(null);
        String secret = in.optional(EVENTS_SECRET).orElse(null);
        if (eventsForwardUrl != null && secret == null) {
            throw new SettingsException(EVENTS_SECRET, "is required with " + EVENTS_FORWARD_URL
                    + ": the shared secret the receiver checks each event's signature with");
        }
        if (secret != null && secret.length() < 32) {
            throw new SettingsException(EVENTS_SECRET, "must be at least 32 characters (it has " + secret.length()
                    + "); make one with: openssl rand -hex 32");
        }
        eventsSecret = secret == null ? null : secret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        eventsRetrySchedule = durations(EVENTS_RETRY_SCHEDULE, in.optional(EVENTS_RETRY_SCHEDULE)
                .orElse(DEFAULT_RETRY_SCHEDULE));
        eventsTimeoutMs = in.integer(EVENTS_TIMEOUT_MS, 10_000, 100, 120_000);
        eventsRetentionDays = in.integer(EVENTS_RETENTION_DAYS, 7, 0, 36_500);
        waitingAlertMinutes = in.integer(WAITING_ALERT_MINUTES, 30, 0, 10_080);
        if (waitingAlertMinutes > 0 && waitingAlertMinutes < 5) {
            // Younger orders are mostly buyers still paying, not notifications missed: Alipay's first retry is at 4 min.
            throw new SettingsException(WAITING_ALERT_MINUTES, "must be 0 (no count) or between 5 and 10080 (a week),"
                    + " got " + waitingAlertMinutes);
        }
        queryEnabled = in.bool(QUERY_ENABLED, false);
        billEnabled = in.bool(BILL_ENABLED, false);
        gatewayUrl = gatewayUrl(in.optional(QUERY_GATEWAY_URL).orElse(DEFAULT_GATEWAY));
        queryTimeoutMs = in.integer(QUERY_TIMEOUT_MS, 5_000, 100, 60_000);
        queryPerMinute = in.integer(QUERY_PER_MINUTE, 60, 1, 6_000);
        String runAt = in.optional(BILL_RUN_AT).orElse("10:00");
        try {
            billRunAt = java.time.LocalTime.parse(runAt);
        } catch (java.time.format.DateTimeParseException e) {
            throw new SettingsException(BILL_RUN_AT, "must be a time of day like 10:00 (China time), got '" + runAt
                    + "'");
        }
        if (queryEnabled || billEnabled) {
            String why = queryEnabled ? QUERY_ENABLED : BILL_ENABLED;
            for (AppSettings app : apps) {
                requireReadable(app.key(AppSettings.APP_PRIVATE_KEY_PATH), app.appPrivateKeyPath(), why
                        + " is true: the app's private key signs the requests to Alipay's gateway");
                if (app.certPath().isPresent()) {
                    requireReadable(app.key(AppSettings.APP_CERT_PATH), app.appCertPath(), why + " is true and "
                            + app + " is in certificate mode: requests carry the serial of the app's certificate");
                    requireReadable(app.key(AppSettings.ALIPAY_ROOT_CERT_PATH), app.alipayRootCertPath(), why
                            + " is true and " + app + " is in certificate mode: requests carry the serial of Alipay's"
                            + " root certificate");
                }
            }
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

    /**
     * A system property of ours ({@code alipay.*}, {@code db.*}, {@code notify.*}, {@code ops.*}, {@code order.*},
     * {@code events.*}) or an environment variable {@code ALIPAY_NOTIFY_*} that is no setting: most likely a typo,
     * which would otherwise be silently ignored while the default applies.
     *
     * @param source     "system property" or "environment variable"
     * @param suggestion the nearest known name, or null
     */
    public record Unknown(String name, String source, String suggestion) {
        public String describe() {
            return source + " " + name + " is not a setting of alipay-notify"
                    + (suggestion == null ? "" : " (did you mean " + suggestion + "?)");
        }
    }

    /**
     * The system properties and environment variables in our namespace that are no setting, in name order. The
     * properties file is refused for the same when it loads; these two sources are shared with the container and
     * other webapps, so the caller decides whether to warn or refuse.
     */
    public static List<Unknown> unknownKeys(Map<String, String> systemProperties, Map<String, String> environment) {
        Lookup in = new Lookup(systemProperties, environment, Map.of());
        Set<String> knownKeys = new TreeSet<>(KEYS);
        knownKeys.addAll(in.appKeys());
        Set<String> knownEnv = new TreeSet<>();
        knownEnv.add(envName(CONFIG_FILE));
        knownKeys.forEach(k -> knownEnv.add(envName(k)));
        List<Unknown> unknown = new ArrayList<>();
        for (String name : new TreeSet<>(systemProperties.keySet())) {
            if (ours(name) && !knownKeys.contains(name)) {
                unknown.add(new Unknown(name, "system property", nearest(name, knownKeys)));
            }
        }
        for (String name : new TreeSet<>(environment.keySet())) {
            if (name.startsWith(ENV_PREFIX) && !knownEnv.contains(name)
                    && TOOL_ENV_PREFIXES.stream().noneMatch(name::startsWith)) {
                unknown.add(new Unknown(name, "environment variable", nearest(name, knownEnv)));
            }
        }
        return unknown;
    }

    /** The name among {@code known} a typo most likely meant: at most 3 edits away, else null. */
    private static String nearest(String name, Set<String> known) {
        String best = null;
        int bestDistance = 4;
        for (String k : known) {
            int d = editDistance(name, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /** The namespaces our keys live in; anything else in the same sources belongs to someone else. */
    private static boolean ours(String name) {
        return name.startsWith("alipay.") || name.startsWith("db.") || name.startsWith("notify.")
                || name.startsWith("order.") || name.startsWith("ops.") || name.startsWith("events.")
                || name.startsWith("query.") || name.startsWith("bill.");
    }

    public static Map<String, String> systemProperties() {
        return asMap(System.getProperties());
    }

    /**
     * The apps: several named by alipay.apps (each with alipay.app.NAME.*, the single-app keys then refused as
     * ambiguous), or the single-app keys as one app named "default".
     */
    private static List<AppSettings> parseApps(Lookup in) {
        Optional<String> list = in.optional(APPS);
        if (list.isEmpty()) {
            return List.of(parseApp(in, "default", "alipay."));
        }
        for (String single : List.of(APP_ID, SELLER_ID, CERT_PATH, PUBLIC_KEY, SIGN_TYPE, APP_PRIVATE_KEY_PATH,
                APP_CERT_PATH, ALIPAY_ROOT_CERT_PATH, DEFAULT_CHARSET)) {
            if (in.optional(single).isPresent()) {
                throw new SettingsException(single, "is set beside " + APPS + ": give each app's settings as "
                        + APP_PREFIX + "NAME." + single.substring("alipay.".length()));
            }
        }
        List<AppSettings> parsed = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        Set<String> appIds = new LinkedHashSet<>();
        for (String part : list.get().split(",", -1)) {
            String name = part.trim();
            if (!name.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
                throw new SettingsException(APPS, "must list app names (lower-case letters, digits, - and _), got '"
                        + name + "'");
            }
            if (!names.add(name)) {
                throw new SettingsException(APPS, "names " + name + " twice");
            }
            AppSettings app = parseApp(in, name, APP_PREFIX + name + ".");
            if (!appIds.add(app.appId())) {
                throw new SettingsException(app.key(AppSettings.APP_ID), "is " + app.appId()
                        + ", the app id of another app in " + APPS);
            }
            parsed.add(app);
        }
        return List.copyOf(parsed);
    }

    private static AppSettings parseApp(Lookup in, String name, String prefix) {
        String appIdKey = prefix + AppSettings.APP_ID;
        String certKey = prefix + AppSettings.CERT_PATH;
        String publicKeyKey = prefix + AppSettings.PUBLIC_KEY;
        String signTypeKey = prefix + AppSettings.SIGN_TYPE;
        String appId = in.required(appIdKey);
        if (!appId.matches("[0-9A-Za-z_-]{1,64}")) {
            throw new SettingsException(appIdKey, "must be the Alipay app id (letters and digits), got '" + appId
                    + "'");
        }
        Set<String> sellerIds = parseSellerIds(prefix + AppSettings.SELLER_ID,
                in.optional(prefix + AppSettings.SELLER_ID).orElse(""));
        Optional<String> cert = in.optional(certKey);
        Optional<String> key = in.optional(publicKeyKey);
        if (cert.isPresent() && key.isPresent()) {
            throw new SettingsException(certKey, "and " + SettingsException.describe(publicKeyKey)
                    + " are both set: choose certificate mode or public-key mode, not both");
        }
        if (cert.isEmpty() && key.isEmpty()) {
            String hint = in.formerNameHint(certKey).strip();
            throw new SettingsException(certKey, (hint.isEmpty() ? "" : hint + " ") + "or "
                    + SettingsException.describe(publicKeyKey) + in.formerNameHint(publicKeyKey)
                    + " is required: the Alipay public-key certificate file, or the Alipay public key in base64");
        }
        String charsetKey = prefix + AppSettings.DEFAULT_CHARSET;
        String charset = in.optional(charsetKey).orElse("utf-8").toLowerCase(Locale.ROOT);
        if (!CHARSETS.contains(charset)) {
            throw new SettingsException(charsetKey, "must be one of " + String.join(", ", CHARSETS) + ", got '"
                    + charset + "'");
        }
        String st = in.optional(signTypeKey).orElse("RSA2");
        SignType signType;
        try {
            signType = SignType.valueOf(st.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(signTypeKey, "must be RSA2 or RSA, got '" + st + "'");
        }
        return new AppSettings(name, appId, sellerIds, cert.map(Path::of).orElse(null), key.orElse(null),
                key.isPresent() && in.fromFile(publicKeyKey) ? in.filePath : null, signType, prefix,
                in.optional(prefix + AppSettings.APP_PRIVATE_KEY_PATH).map(Path::of).orElse(null),
                in.optional(prefix + AppSettings.APP_CERT_PATH).map(Path::of).orElse(null),
                in.optional(prefix + AppSettings.ALIPAY_ROOT_CERT_PATH).map(Path::of).orElse(null), charset);
    }

    /** A deployment without configuration hears about every missing key at once, not one per restart. */
    private static void requireAllPresent(Lookup in, boolean containerDataSource) {
        List<String> keys = new ArrayList<>();
        List<String> described = new ArrayList<>();
        if (in.optional(APP_ID).isEmpty() && in.optional(APPS).isEmpty()) {
            keys.add(APP_ID);
            described.add(SettingsException.describe(APP_ID) + in.formerNameHint(APP_ID));
        }
        if (in.optional(CERT_PATH).isEmpty() && in.optional(PUBLIC_KEY).isEmpty() && in.optional(APPS).isEmpty()) {
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

    private static Set<String> parseSellerIds(String key, String list) {
        Set<String> ids = new LinkedHashSet<>();
        for (String part : list.split(",", -1)) {
            String id = part.trim();
            if (id.isEmpty()) {
                if (!list.isBlank()) {
                    throw new SettingsException(key, "has an empty entry in '" + list + "'");
                }
                continue;
            }
            if (!id.matches("[0-9]{1,32}")) {
                throw new SettingsException(key, "must list Alipay PIDs (digits, such as 2088...), got '"
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

    /** The apps served, in the order alipay.apps lists them (one, "default", with the single-app keys). */
    public List<AppSettings> apps() { return apps; }
    /** How often a changed certificate file (or properties file holding the public key) is looked for; 0: never. */
    public int certReloadSeconds() { return certReloadSeconds; }

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
    /** Days to keep notification records (alipay_notify, alipay_notify_unmatched); 0: for ever. */
    public int retentionDays() { return retentionDays; }
    /** Refusal records written per second at most (and as many more after verification); 0: none unverified. */
    public int refusalRecordsPerSecond() { return refusalRecordsPerSecond; }
    /** Days to keep refusal records (alipay_notify_refused); 0: for ever. */
    public int refusalRetentionDays() { return refusalRetentionDays; }
    /** The merchant's statements that are set, by key ({@link #ORDER_SQL_KEYS}); empty: alipay_order as it is. */
    public Map<String, String> orderSql() { return orderSql; }
    /** A reaction that changes no row fails the notification (else it is logged). */
    public boolean orderZeroRowsFail() { return orderZeroRowsFail; }
    /** Who may see /alipay/health and /alipay/metrics, by the address the container reports. */
    public Networks opsAllowedNetworks() { return opsAllowedNetworks; }
    /** Where the relay POSTs events; empty: the relay is off (the outbox is still written, for CDC). */
    public Optional<java.net.URI> eventsForwardUrl() { return Optional.ofNullable(eventsForwardUrl); }
    /** The HMAC key events are signed with (set whenever the forward URL is). */
    public byte[] eventsSecret() { return eventsSecret == null ? null : eventsSecret.clone(); }
    /** Waits before each retry of an event; after the last the event is parked. */
    public List<java.time.Duration> eventsRetrySchedule() { return eventsRetrySchedule; }
    public int eventsTimeoutMs() { return eventsTimeoutMs; }
    /** Days to keep delivered events (every event when the relay is off); 0: for ever. */
    public int eventsRetentionDays() { return eventsRetentionDays; }
    /** Orders waiting for payment longer than this many minutes are counted by the silence alarm; 0: not counted. */
    public int waitingAlertMinutes() { return waitingAlertMinutes; }

    /** Whether the active query asks Alipay about orders still waiting for payment. */
    public boolean queryEnabled() { return queryEnabled; }
    /** Alipay's gateway (production by default; the sandbox or a test gateway by setting). */
    public java.net.URI gatewayUrl() { return gatewayUrl; }
    public int queryTimeoutMs() { return queryTimeoutMs; }
    /** Gateway requests a minute at most, per instance, for the active query. */
    public int queryPerMinute() { return queryPerMinute; }
    /** Whether yesterday's trade bill is downloaded and compared every day. */
    public boolean billEnabled() { return billEnabled; }
    /** When (China time) the daily bill is fetched; Alipay publishes it in the morning after. */
    public java.time.LocalTime billRunAt() { return billRunAt; }

    private static void requireReadable(String key, Path path, String why) {
        if (path == null) {
            throw new SettingsException(key, "is required: " + why);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new SettingsException(key, "names '" + path + "', which is not a readable file");
        }
    }

    private static java.net.URI gatewayUrl(String value) {
        try {
            java.net.URI uri = new java.net.URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        throw new SettingsException(QUERY_GATEWAY_URL, "must be an http:// or https:// URL, got '" + value + "'");
    }

    private static java.net.URI forwardUrl(String value) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new SettingsException(EVENTS_FORWARD_URL, "is not a URL: '" + value + "'");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new SettingsException(EVENTS_FORWARD_URL, "must be an http:// or https:// URL, got '" + value + "'");
        }
        return uri;
    }

    /** "500ms,15s,1m,2h,1d": each a positive whole number and a unit. */
    static List<java.time.Duration> durations(String key, String list) {
        List<java.time.Duration> out = new ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)").matcher(p);
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                throw new SettingsException(key, "must list waits such as 15s, 1m, 2h or 500ms, got '" + part.strip()
                        + "'");
            }
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": out.add(java.time.Duration.ofMillis(n)); break;
                case "s": out.add(java.time.Duration.ofSeconds(n)); break;
                case "m": out.add(java.time.Duration.ofMinutes(n)); break;
                case "h": out.add(java.time.Duration.ofHours(n)); break;
                default: out.add(java.time.Duration.ofDays(n)); break;
            }
        }
        return List.copyOf(out);
    }

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
                    if (ours(name) && !KEYS.contains(name) && !isAppKey(name)) {
                        unknown.add(name);
                    }
                }
                if (!unknown.isEmpty()) {
                    throw new SettingsException(CONFIG_FILE, "file '" + path + "' holds unknown keys " + unknown
                            + "; known keys are " + KEYS + " and, for each app NAME of " + APPS + ", " + APP_PREFIX
                            + "NAME." + new TreeSet<>(AppSettings.SUFFIXES));
                }
            }
        }

        /** alipay.app.NAME.SUFFIX of an app that alipay.apps names. */
        private boolean isAppKey(String name) {
            if (!name.startsWith(APP_PREFIX)) {
                return false;
            }
            String rest = name.substring(APP_PREFIX.length());
            int dot = rest.indexOf('.');
            if (dot < 0 || !AppSettings.SUFFIXES.contains(rest.substring(dot + 1))) {
                return false;
            }
            String apps = raw(APPS);
            return apps != null && java.util.Arrays.stream(apps.split(",")).map(String::trim)
                    .anyMatch(rest.substring(0, dot)::equals);
        }

        /** Every alipay.app.NAME.SUFFIX key of the apps that alipay.apps names. */
        Set<String> appKeys() {
            Set<String> keys = new TreeSet<>();
            String apps = raw(APPS);
            if (apps != null) {
                for (String name : apps.split(",")) {
                    for (String suffix : AppSettings.SUFFIXES) {
                        keys.add(APP_PREFIX + name.trim() + "." + suffix);
                    }
                }
            }
            return keys;
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
