package org.alipaynotify.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsTest {
    private static final String APP_ID = "2021000000000001";
    private static final String PUBLIC_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA";
    private static final String DB_URL = "jdbc:mysql://localhost:3306/pay";

    @TempDir
    Path dir;

    /** The least that loads: app id, public key, database URL, all as system properties. */
    private static Map<String, String> minimal() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APP_ID, APP_ID);
        sys.put(Settings.PUBLIC_KEY, PUBLIC_KEY);
        sys.put(Settings.DB_URL, DB_URL);
        return sys;
    }

    private static Map<String, String> minimalWith(String key, String value) {
        Map<String, String> sys = minimal();
        sys.put(key, value);
        return sys;
    }

    private static Map<String, String> minimalWithout(String key) {
        Map<String, String> sys = minimal();
        sys.remove(key);
        return sys;
    }

    private static SettingsException refused(Map<String, String> sys) {
        return refused(sys, Map.of());
    }

    private static SettingsException refused(Map<String, String> sys, Map<String, String> env) {
        return assertThrows(SettingsException.class, () -> Settings.load(sys, env));
    }

    private static void assertNames(String key, SettingsException e) {
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains(key), () -> "message should name " + key + ": " + e.getMessage());
    }

    private Path propertiesFile(String content) throws IOException {
        Path file = dir.resolve("alipay-notify.properties");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    // ---- defaults and parsing ----

    @Test
    void appliesDefaults() {
        Settings s = Settings.load(minimal(), Map.of());

        assertEquals(APP_ID, s.apps().get(0).appId());
        assertEquals(Optional.of(PUBLIC_KEY), s.apps().get(0).publicKey());
        assertEquals(Optional.empty(), s.apps().get(0).certPath());
        assertEquals(DB_URL, s.dbUrl().orElseThrow());
        assertEquals(Settings.SignType.RSA2, s.apps().get(0).signType());
        assertEquals(10, s.poolSize());
        assertTrue(s.initSchema());
        assertEquals(65536, s.maxBodyBytes());
        assertEquals(Set.of(), s.apps().get(0).sellerIds());
        assertEquals(Optional.empty(), s.dbUser());
        assertEquals(Optional.empty(), s.dbPassword());
    }

    @Test
    void readsExplicitValues() {
        Map<String, String> sys = minimal();
        sys.put(Settings.SIGN_TYPE, "rsa");
        sys.put(Settings.DB_POOL_SIZE, " 25 ");
        sys.put(Settings.DB_INIT_SCHEMA, "FALSE");
        sys.put(Settings.MAX_BODY_BYTES, "1024");
        sys.put(Settings.DB_USER, "pay");

        Settings s = Settings.load(sys, Map.of());

        assertEquals(Settings.SignType.RSA, s.apps().get(0).signType());
        assertEquals(25, s.poolSize());
        assertFalse(s.initSchema());
        assertEquals(1024, s.maxBodyBytes());
        assertEquals(Optional.of("pay"), s.dbUser());
    }

    @Test
    void certificateModeInsteadOfPublicKey() {
        Map<String, String> sys = minimalWithout(Settings.PUBLIC_KEY);
        sys.put(Settings.CERT_PATH, "/etc/alipay/alipayCertPublicKey_RSA2.crt");

        Settings s = Settings.load(sys, Map.of());

        assertEquals(Optional.of(Path.of("/etc/alipay/alipayCertPublicKey_RSA2.crt")), s.apps().get(0).certPath());
        assertEquals(Optional.empty(), s.apps().get(0).publicKey());
    }

    @Test
    void parsesTheSellerIdList() {
        Settings s = Settings.load(minimalWith(Settings.SELLER_ID, "2088000000000001, 2088000000000002"), Map.of());

        assertEquals(Set.of("2088000000000001", "2088000000000002"), s.apps().get(0).sellerIds());
    }

    @Test
    void blankPasswordIsKeptAsGiven() {
        Settings s = Settings.load(minimalWith(Settings.DB_PASSWORD, " "), Map.of());

        assertEquals(Optional.of(" "), s.dbPassword());
    }

    @Test
    void emptyPasswordIsKeptAsGiven() {
        Settings s = Settings.load(minimalWith(Settings.DB_PASSWORD, ""), Map.of());

        assertEquals(Optional.of(""), s.dbPassword());
    }

    @Test
    void blankValuesOtherThanThePasswordCountAsAbsent() {
        Map<String, String> sys = minimal();
        sys.put(Settings.DB_POOL_SIZE, "  ");
        sys.put(Settings.SIGN_TYPE, "");
        sys.put(Settings.DB_USER, " ");
        sys.put(Settings.SELLER_ID, "   ");
        sys.put(Settings.CERT_PATH, " ");

        Settings s = Settings.load(sys, Map.of());

        assertEquals(10, s.poolSize());
        assertEquals(Settings.SignType.RSA2, s.apps().get(0).signType());
        assertEquals(Optional.empty(), s.dbUser());
        assertEquals(Set.of(), s.apps().get(0).sellerIds());
        assertEquals(Optional.empty(), s.apps().get(0).certPath());
    }

    @Test
    void blankRequiredValueIsMissing() {
        SettingsException e = refused(minimalWith(Settings.APP_ID, "   "));

        assertNames(Settings.APP_ID, e);
    }

    @Test
    void envNameIsTheProductsPrefixAndTheKeyWithoutItsAlipayOrNotifySegment() {
        assertEquals("ALIPAY_NOTIFY_APP_ID", Settings.envName(Settings.APP_ID));
        assertEquals("ALIPAY_NOTIFY_CERT_RELOAD_SECONDS", Settings.envName(Settings.CERT_RELOAD_SECONDS));
        assertEquals("ALIPAY_NOTIFY_DB_URL", Settings.envName(Settings.DB_URL));
        assertEquals("ALIPAY_NOTIFY_DB_POOL_SIZE", Settings.envName(Settings.DB_POOL_SIZE));
        assertEquals("ALIPAY_NOTIFY_MAX_BODY_BYTES", Settings.envName(Settings.MAX_BODY_BYTES));
        assertEquals("ALIPAY_NOTIFY_OPS_ALLOWED_NETWORKS", Settings.envName("ops.allowed-networks"));
        assertEquals("ALIPAY_NOTIFY_CONFIG", Settings.envName(Settings.CONFIG_FILE));
    }

    @Test
    void everyKeyHasAnEnvironmentVariableOfItsOwnWithThePrefix() {
        Map<String, String> byName = new HashMap<>();
        for (String key : java.util.stream.Stream.concat(Settings.KEYS.stream(), java.util.stream.Stream.of(
                Settings.CONFIG_FILE)).toList()) {
            String name = Settings.envName(key);
            assertTrue(name.startsWith("ALIPAY_NOTIFY_") && name.matches("[A-Z0-9_]+"), name);
            String other = byName.put(name, key);
            assertEquals(null, other, key + " and " + other + " would share " + name);
        }
    }

    @Test
    void genericNamesOfOtherSoftwareInTheEnvironmentAreNotRead() {
        Map<String, String> env = new HashMap<>();
        for (String key : Settings.KEYS) {
            env.put(Settings.formerEnvName(key), "from-other-software");
        }
        Settings s = Settings.load(minimal(), env);

        assertEquals(APP_ID, s.apps().get(0).appId());
        assertEquals(DB_URL, s.dbUrl().orElseThrow());
        assertEquals(Optional.empty(), s.dbPassword());
        assertEquals(Optional.empty(), s.dbUser());
        assertEquals(10, s.poolSize());
    }

    @Test
    void aMissingKeyWhoseFormerGenericNameIsSetSaysToRenameIt() {
        SettingsException e = refused(minimalWithout(Settings.DB_URL), Map.of("DB_URL", DB_URL));

        assertEquals("db.url (ALIPAY_NOTIFY_DB_URL) is required (DB_URL is set but not read any more: rename it"
                + " ALIPAY_NOTIFY_DB_URL)", e.getMessage());

        Map<String, String> sys = minimalWithout(Settings.APP_ID);
        sys.remove(Settings.PUBLIC_KEY);
        SettingsException all = refused(sys, Map.of("ALIPAY_APP_ID", APP_ID, "ALIPAY_PUBLIC_KEY", PUBLIC_KEY));
        assertEquals("alipay.app-id (ALIPAY_NOTIFY_APP_ID) (ALIPAY_APP_ID is set but not read any more: rename it"
                + " ALIPAY_NOTIFY_APP_ID) is required, and so are alipay.cert-path (ALIPAY_NOTIFY_CERT_PATH) or"
                + " alipay.public-key (ALIPAY_NOTIFY_PUBLIC_KEY) (ALIPAY_PUBLIC_KEY is set but not read any more:"
                + " rename it ALIPAY_NOTIFY_PUBLIC_KEY)", all.getMessage());

        SettingsException key = refused(minimalWithout(Settings.PUBLIC_KEY), Map.of("ALIPAY_PUBLIC_KEY", PUBLIC_KEY));
        assertEquals("alipay.cert-path (ALIPAY_NOTIFY_CERT_PATH) or alipay.public-key (ALIPAY_NOTIFY_PUBLIC_KEY)"
                + " (ALIPAY_PUBLIC_KEY is set but not read any more: rename it ALIPAY_NOTIFY_PUBLIC_KEY) is required:"
                + " the Alipay public-key certificate file, or the Alipay public key in base64", key.getMessage());
    }

    // ---- sources and precedence ----

    @Test
    void readsEverythingFromTheEnvironment() {
        Map<String, String> env = Map.of(
                "ALIPAY_NOTIFY_APP_ID", APP_ID,
                "ALIPAY_NOTIFY_PUBLIC_KEY", PUBLIC_KEY,
                "ALIPAY_NOTIFY_DB_URL", DB_URL,
                "ALIPAY_NOTIFY_DB_POOL_SIZE", "7");

        Settings s = Settings.load(Map.of(), env);

        assertEquals(APP_ID, s.apps().get(0).appId());
        assertEquals(DB_URL, s.dbUrl().orElseThrow());
        assertEquals(7, s.poolSize());
    }

    @Test
    void systemPropertyBeatsEnvironmentBeatsFile() throws IOException {
        Path file = propertiesFile(String.join("\n",
                "alipay.app-id=fromfile",
                "alipay.public-key=" + PUBLIC_KEY,
                "db.url=jdbc:mysql://file/db",
                "db.pool-size=3",
                "db.user=fileuser",
                ""));
        Map<String, String> sys = Map.of(
                Settings.CONFIG_FILE, file.toString(),
                Settings.APP_ID, "fromsys");
        Map<String, String> env = Map.of(
                "ALIPAY_NOTIFY_APP_ID", "fromenv",
                "ALIPAY_NOTIFY_DB_POOL_SIZE", "4");

        Settings s = Settings.load(sys, env);

        assertEquals("fromsys", s.apps().get(0).appId(), "system property beats environment and file");
        assertEquals(4, s.poolSize(), "environment beats file");
        assertEquals(Optional.of("fileuser"), s.dbUser(), "file is read when nothing else sets the key");
        assertEquals("jdbc:mysql://file/db", s.dbUrl().orElseThrow());
    }

    @Test
    void theFileCanBeNamedByTheEnvironment() throws IOException {
        Path file = propertiesFile(String.join("\n",
                "alipay.app-id=" + APP_ID,
                "alipay.public-key=" + PUBLIC_KEY,
                "db.url=" + DB_URL,
                ""));

        Settings s = Settings.load(Map.of(), Map.of("ALIPAY_NOTIFY_CONFIG", file.toString()));

        assertEquals(APP_ID, s.apps().get(0).appId());
        assertEquals(DB_URL, s.dbUrl().orElseThrow());
    }

    @Test
    void theFileNamedBySystemPropertyBeatsTheOneNamedByEnvironment() throws IOException {
        Path good = propertiesFile("alipay.app-id=fromsysfile\nalipay.public-key=k\ndb.url=" + DB_URL + "\n");
        Path missing = dir.resolve("does-not-exist.properties");

        Settings s = Settings.load(Map.of(Settings.CONFIG_FILE, good.toString()),
                Map.of("ALIPAY_NOTIFY_CONFIG", missing.toString()));

        assertEquals("fromsysfile", s.apps().get(0).appId());
    }

    @Test
    void fileThatDoesNotExistIsRefused() {
        Path missing = dir.resolve("does-not-exist.properties");

        SettingsException e = refused(minimalWith(Settings.CONFIG_FILE, missing.toString()));

        assertNames(Settings.CONFIG_FILE, e);
        assertTrue(e.getMessage().contains("does-not-exist.properties"), e.getMessage());
    }

    @Test
    void fileWithAMisspelledKeyIsRefusedAndNamesTheTypo() throws IOException {
        Path file = propertiesFile("alipay.appid=" + APP_ID + "\n");

        SettingsException e = refused(minimalWith(Settings.CONFIG_FILE, file.toString()));

        assertNames(Settings.CONFIG_FILE, e);
        assertTrue(e.getMessage().contains("alipay.appid"), e.getMessage());
    }

    @Test
    void fileMayHoldKeysThatAreNotOurs() throws IOException {
        Path file = propertiesFile("logging.level=debug\nsomething.else=1\n");

        Settings s = Settings.load(minimalWith(Settings.CONFIG_FILE, file.toString()), Map.of());

        assertEquals(APP_ID, s.apps().get(0).appId());
    }

    // ---- each wrong setting names its key ----

    @Test
    void missingAppId() {
        assertNames(Settings.APP_ID, refused(minimalWithout(Settings.APP_ID)));
    }

    @Test
    void appIdWithForbiddenCharacters() {
        assertNames(Settings.APP_ID, refused(minimalWith(Settings.APP_ID, "2021 0001")));
    }

    @Test
    void bothCertPathAndPublicKey() {
        SettingsException e = refused(minimalWith(Settings.CERT_PATH, "/etc/alipay/cert.crt"));

        assertNames(Settings.CERT_PATH, e);
        assertTrue(e.getMessage().contains(Settings.PUBLIC_KEY), e.getMessage());
    }

    @Test
    void neitherCertPathNorPublicKey() {
        SettingsException e = refused(minimalWithout(Settings.PUBLIC_KEY));

        assertNames(Settings.CERT_PATH, e);
        assertTrue(e.getMessage().contains(Settings.PUBLIC_KEY), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5", "RSA3", "SHA256withRSA"})
    void unknownSignType(String signType) {
        SettingsException e = refused(minimalWith(Settings.SIGN_TYPE, signType));

        assertNames(Settings.SIGN_TYPE, e);
        assertTrue(e.getMessage().contains(signType), e.getMessage());
    }

    @Test
    void missingDbUrl() {
        assertNames(Settings.DB_URL, refused(minimalWithout(Settings.DB_URL)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdbc:postgresql://localhost/pay", "mysql://localhost/pay", "localhost:3306"})
    void dbUrlThatIsNotMysql(String url) {
        assertNames(Settings.DB_URL, refused(minimalWith(Settings.DB_URL, url)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "501", "abc", "1.5", "10x"})
    void badPoolSize(String size) {
        assertNames(Settings.DB_POOL_SIZE, refused(minimalWith(Settings.DB_POOL_SIZE, size)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "yes", "1"})
    void badInitSchema(String value) {
        assertNames(Settings.DB_INIT_SCHEMA, refused(minimalWith(Settings.DB_INIT_SCHEMA, value)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1023", "0", "100"})
    void maxBodyBytesTooSmall(String value) {
        assertNames(Settings.MAX_BODY_BYTES, refused(minimalWith(Settings.MAX_BODY_BYTES, value)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2088000000000001,", ",2088000000000001", "2088000000000001,,2088000000000002",
            "2088000000000001, "})
    void sellerIdListWithAnEmptyEntry(String list) {
        assertNames(Settings.SELLER_ID, refused(minimalWith(Settings.SELLER_ID, list)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2088abc", "seller", "2088000000000001, x", "-2088", "2088 0001"})
    void sellerIdThatIsNotDigits(String list) {
        assertNames(Settings.SELLER_ID, refused(minimalWith(Settings.SELLER_ID, list)));
    }

    @Test
    void waitingAlertMinutesDefaultToThirtyAndZeroTurnsTheCountOff() {
        assertEquals(30, Settings.load(minimal(), Map.of()).waitingAlertMinutes());
        assertEquals(0, Settings.load(minimalWith(Settings.WAITING_ALERT_MINUTES, "0"), Map.of()).waitingAlertMinutes());
        assertEquals(5, Settings.load(minimalWith(Settings.WAITING_ALERT_MINUTES, "5"), Map.of()).waitingAlertMinutes());
        assertEquals(10_080, Settings.load(Map.of(Settings.APP_ID, APP_ID, Settings.PUBLIC_KEY, PUBLIC_KEY,
                Settings.DB_URL, DB_URL), Map.of("ALIPAY_NOTIFY_WAITING_ALERT_MINUTES", "10080"))
                .waitingAlertMinutes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "4", "10081", "-1", "30m", "half an hour"})
    void waitingAlertMinutesOutsideTheirRangeAreRefusedNamingTheKey(String value) {
        assertNames(Settings.WAITING_ALERT_MINUTES, refused(minimalWith(Settings.WAITING_ALERT_MINUTES, value)));
    }

    @Test
    void opsAllowedNetworksDefaultToLoopbackAndPrivateRanges() {
        Networks n = Settings.load(minimal(), Map.of()).opsAllowedNetworks();

        assertTrue(n.contains("127.0.0.1") && n.contains("::1") && n.contains("10.1.2.3") && n.contains("fd00::1"));
        assertFalse(n.contains("203.0.113.7"));
    }

    @Test
    void opsAllowedNetworksFromTheFileReplaceTheDefaults() throws IOException {
        Path file = propertiesFile("ops.allowed-networks=203.0.113.0/24, 2001:db8::/32\n");

        Networks n = Settings.load(minimalWith(Settings.CONFIG_FILE, file.toString()), Map.of()).opsAllowedNetworks();

        assertTrue(n.contains("203.0.113.7") && n.contains("2001:db8::1"));
        assertFalse(n.contains("127.0.0.1"), "the defaults are replaced, not extended");
    }

    @Test
    void aBadOpsAllowedNetworksEntryNamesTheKeyAndTheEntry() {
        SettingsException e = refused(minimalWith(Settings.OPS_ALLOWED_NETWORKS, "10.0.0.0/8,monitoring.internal"));

        assertNames(Settings.OPS_ALLOWED_NETWORKS, e);
        assertTrue(e.getMessage().contains("'monitoring.internal'"), e.getMessage());
    }

    @Test
    void fileWithAMisspelledOpsKeyIsRefused() throws IOException {
        Path file = propertiesFile("ops.allowed-network=10.0.0.0/8\n");

        SettingsException e = refused(minimalWith(Settings.CONFIG_FILE, file.toString()));

        assertNames(Settings.CONFIG_FILE, e);
        assertTrue(e.getMessage().contains("ops.allowed-network]"), e.getMessage());
    }

    @Test
    void wrongValueFromTheEnvironmentAlsoNamesTheKeyAndItsVariable() {
        Map<String, String> sys = minimalWithout(Settings.DB_POOL_SIZE);

        SettingsException e = refused(sys, Map.of("ALIPAY_NOTIFY_DB_POOL_SIZE", "abc"));

        assertNames(Settings.DB_POOL_SIZE, e);
        assertTrue(e.getMessage().contains("ALIPAY_NOTIFY_DB_POOL_SIZE"), e.getMessage());
    }

    // ---- several apps (alipay.apps) ----

    private static Map<String, String> twoApps() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APPS, "web, mini");
        sys.put("alipay.app.web.app-id", "2021000000000001");
        sys.put("alipay.app.web.cert-path", "/etc/alipay/web.crt");
        sys.put("alipay.app.web.seller-id", "2088000000000001");
        sys.put("alipay.app.mini.app-id", "2021000000000002");
        sys.put("alipay.app.mini.public-key", PUBLIC_KEY);
        sys.put("alipay.app.mini.sign-type", "RSA");
        sys.put(Settings.DB_URL, DB_URL);
        return sys;
    }

    @Test
    void severalAppsEachWithItsOwnSettings() {
        Settings s = Settings.load(twoApps(), Map.of());
        assertEquals(2, s.apps().size());
        AppSettings web = s.apps().get(0);
        AppSettings mini = s.apps().get(1);
        assertEquals("web", web.name());
        assertEquals("2021000000000001", web.appId());
        assertEquals(Path.of("/etc/alipay/web.crt"), web.certPath().orElseThrow());
        assertEquals(Set.of("2088000000000001"), web.sellerIds());
        assertEquals(Settings.SignType.RSA2, web.signType());
        assertEquals("alipay.app.web.cert-path", web.key(AppSettings.CERT_PATH));
        assertEquals("mini", mini.name());
        assertEquals(PUBLIC_KEY, mini.publicKey().orElseThrow());
        assertEquals(Settings.SignType.RSA, mini.signType());
        assertEquals(Set.of(), mini.sellerIds());
    }

    @Test
    void theSingleAppKeysAreOneAppNamedDefault() {
        Settings s = Settings.load(minimal(), Map.of());
        assertEquals(1, s.apps().size());
        assertEquals("default", s.apps().get(0).name());
        assertEquals("alipay.app-id", s.apps().get(0).key(AppSettings.APP_ID));
    }

    @Test
    void aSingleAppKeyBesideAlipayAppsIsRefusedAsAmbiguous() {
        Map<String, String> sys = twoApps();
        sys.put(Settings.APP_ID, "2021000000000009");
        assertNames(Settings.APP_ID, refused(sys));
    }

    @Test
    void eachAppsMissingOrWrongSettingIsNamedWithItsApp() {
        Map<String, String> sys = twoApps();
        sys.remove("alipay.app.mini.app-id");
        assertNames("alipay.app.mini.app-id", refused(sys));
        sys = twoApps();
        sys.remove("alipay.app.mini.public-key");
        assertNames("alipay.app.mini.cert-path", refused(sys));
        sys = twoApps();
        sys.put("alipay.app.web.sign-type", "MD5");
        assertNames("alipay.app.web.sign-type", refused(sys));
        sys = twoApps();
        sys.put("alipay.app.web.seller-id", "abc");
        assertNames("alipay.app.web.seller-id", refused(sys));
    }

    @Test
    void twoAppsWithOneAppIdAreRefused() {
        Map<String, String> sys = twoApps();
        sys.put("alipay.app.mini.app-id", "2021000000000001");
        SettingsException e = refused(sys);
        assertNames("alipay.app.mini.app-id", e);
        assertTrue(e.getMessage().contains("another app"), e.getMessage());
    }

    @Test
    void appNamesAreCheckedAndUnique() {
        Map<String, String> sys = twoApps();
        sys.put(Settings.APPS, "web, Web App");
        assertNames(Settings.APPS, refused(sys));
        sys.put(Settings.APPS, "web, web");
        assertNames(Settings.APPS, refused(sys));
    }

    @Test
    void aPropertiesFileMayHoldTheKeysOfTheAppsItNamesButNoOthers() throws IOException {
        Path file = propertiesFile("alipay.apps=web\nalipay.app.web.app-id=2021000000000001\n"
                + "alipay.app.web.public-key=" + PUBLIC_KEY + "\ndb.url=" + DB_URL + "\n");
        Settings s = Settings.load(Map.of(Settings.CONFIG_FILE, file.toString()), Map.of());
        assertEquals("web", s.apps().get(0).name());
        assertEquals(file.toAbsolutePath(), s.apps().get(0).publicKeyFileOf().orElseThrow(),
                "a key from the file can be rotated by editing it");

        Path typo = propertiesFile("alipay.apps=web\nalipay.app.web.app-id=2021000000000001\n"
                + "alipay.app.web.public-key=" + PUBLIC_KEY + "\nalipay.app.wbe.app-id=2021000000000002\n"
                + "alipay.app.web.publickey=x\ndb.url=" + DB_URL + "\n");
        SettingsException e = refused(Map.of(Settings.CONFIG_FILE, typo.toString()));
        assertTrue(e.getMessage().contains("alipay.app.wbe.app-id") && e.getMessage().contains(
                "alipay.app.web.publickey"), e.getMessage());
    }

    @Test
    void anAppsKeysComeFromTheEnvironmentWithTheProductPrefix() {
        Map<String, String> env = new HashMap<>();
        env.put(Settings.envName(Settings.APPS), "shop");
        env.put(Settings.envName("alipay.app.shop.app-id"), "2021000000000003");
        env.put(Settings.envName("alipay.app.shop.public-key"), PUBLIC_KEY);
        env.put(Settings.envName(Settings.DB_URL), DB_URL);
        Settings s = Settings.load(Map.of(), env);
        assertEquals("2021000000000003", s.apps().get(0).appId());
    }

    // ---- the active query and the daily bill ----

    @Test
    void theQueryAndTheBillAreOffByDefault() {
        Settings s = Settings.load(minimal(), Map.of());
        assertEquals(false, s.queryEnabled());
        assertEquals(false, s.billEnabled());
        assertEquals(java.net.URI.create("https://openapi.alipay.com/gateway.do"), s.gatewayUrl());
        assertEquals(java.time.LocalTime.of(10, 0), s.billRunAt());
    }

    @Test
    void theQueryNeedsTheAppsPrivateKeyAndInCertificateModeItsSerialsFiles() throws IOException {
        Map<String, String> sys = minimalWith(Settings.QUERY_ENABLED, "true");
        assertNames(Settings.APP_PRIVATE_KEY_PATH, refused(sys));
        Path key = Files.writeString(dir.resolve("app.key"), "-----BEGIN PRIVATE KEY-----\nMIIE\n");
        sys.put(Settings.APP_PRIVATE_KEY_PATH, key.toString());
        assertTrue(Settings.load(sys, Map.of()).queryEnabled(), "key mode needs the private key only");

        Map<String, String> cert = minimalWithout(Settings.PUBLIC_KEY);
        cert.put(Settings.CERT_PATH, "/etc/alipay/alipayCertPublicKey_RSA2.crt");
        cert.put(Settings.BILL_ENABLED, "true");
        cert.put(Settings.APP_PRIVATE_KEY_PATH, key.toString());
        assertNames(Settings.APP_CERT_PATH, refused(cert));
        cert.put(Settings.APP_CERT_PATH, key.toString());
        assertNames(Settings.ALIPAY_ROOT_CERT_PATH, refused(cert));
        cert.put(Settings.ALIPAY_ROOT_CERT_PATH, dir.resolve("missing.crt").toString());
        assertTrue(refused(cert).getMessage().contains("not a readable file"));
    }

    @Test
    void theGatewayAndTheBillsTimeAreChecked() {
        assertNames(Settings.QUERY_GATEWAY_URL, refused(minimalWith(Settings.QUERY_GATEWAY_URL, "openapi.alipay.com")));
        assertNames(Settings.BILL_RUN_AT, refused(minimalWith(Settings.BILL_RUN_AT, "25:00")));
        assertNames(Settings.QUERY_PER_MINUTE, refused(minimalWith(Settings.QUERY_PER_MINUTE, "0")));
        assertEquals(java.time.LocalTime.of(9, 30), Settings.load(minimalWith(Settings.BILL_RUN_AT, "09:30"),
                Map.of()).billRunAt());
    }

    // ---- names in our namespace that are no setting: typos a system property or variable would hide ----

    @Test
    void aMistypedSystemPropertyIsNamedWithTheKeyItProbablyMeant() {
        List<Settings.Unknown> unknown = Settings.unknownKeys(minimalWith("alipay.signtype", "RSA"), Map.of());

        assertEquals(1, unknown.size(), unknown.toString());
        assertEquals("system property alipay.signtype is not a setting of alipay-notify (did you mean"
                + " alipay.sign-type?)", unknown.get(0).describe());
    }

    @Test
    void aMistypedEnvironmentVariableIsNamedWithTheVariableItProbablyMeant() {
        Map<String, String> env = Map.of("ALIPAY_NOTIFY_SIGNTYPE", "RSA", "ALIPAY_NOTIFY_DB_URL", DB_URL,
                "ALIPAY_NOTIFY_FROBNICATE", "1");

        List<Settings.Unknown> unknown = Settings.unknownKeys(Map.of(), env);

        assertEquals(List.of("environment variable ALIPAY_NOTIFY_FROBNICATE is not a setting of alipay-notify",
                "environment variable ALIPAY_NOTIFY_SIGNTYPE is not a setting of alipay-notify (did you mean"
                        + " ALIPAY_NOTIFY_SIGN_TYPE?)"),
                unknown.stream().map(Settings.Unknown::describe).toList());
    }

    @Test
    void everyKeyEachListedAppsKeysTheToolsVariablesAndOtherSoftwaresNamesAreKnownOrNotOurs() throws IOException {
        String file = propertiesFile("").toString();
        Map<String, String> sys = new HashMap<>();
        Map<String, String> env = new HashMap<>();
        for (String key : Settings.KEYS) {
            sys.put(key, "x");
            env.put(Settings.envName(key), "x");
        }
        sys.put(Settings.APPS, "web, mini");
        for (String suffix : AppSettings.SUFFIXES) {
            sys.put("alipay.app.web." + suffix, "x");
            env.put(Settings.envName("alipay.app.mini." + suffix), "x");
        }
        sys.putAll(Map.of("alipay-notify.local-run", "true", "alipay-notify.config", file, "java.version", "17",
                "jetty.http.port", "8080", "dbx.url", "other software", "notifyx", "1"));
        env.putAll(Map.of("ALIPAY_NOTIFY_CONFIG", file, "ALIPAY_NOTIFY_TEST_DB_URL", "x",
                "ALIPAY_NOTIFY_TEST_DB_USER", "x", "ALIPAY_NOTIFY_BENCH_DB_URL", "x", "ALIPAY_NOTIFY_LOCAL_DIR", "x",
                "DB_URL", "other software", "PATH", "/usr/bin"));

        assertEquals(List.of(), Settings.unknownKeys(sys, env));
    }

    @Test
    void theKeysOfAnAppThatAlipayAppsDoesNotNameAreUnknown() {
        Map<String, String> sys = Map.of(Settings.APPS, "web", "alipay.app.wbe.app-id", APP_ID);

        List<Settings.Unknown> unknown = Settings.unknownKeys(sys, Map.of());

        assertEquals(1, unknown.size(), unknown.toString());
        assertEquals("alipay.app.web.app-id", unknown.get(0).suggestion());
    }

    @Test
    void theLocalRunsRefusalNamesEveryUnknownNameInOneLine() {
        List<Settings.Unknown> unknown = Settings.unknownKeys(minimalWith("alipay.signtype", "RSA"),
                Map.of("ALIPAY_NOTIFY_POOL_SIZE", "4"));

        SettingsException e = SettingsException.unknown(unknown);

        assertEquals("alipay.signtype", e.key());
        assertEquals("unknown settings are refused in the local run (a deployed webapp only warns): system property"
                + " alipay.signtype is not a setting of alipay-notify (did you mean alipay.sign-type?); environment"
                + " variable ALIPAY_NOTIFY_POOL_SIZE is not a setting of alipay-notify (did you mean"
                + " ALIPAY_NOTIFY_DB_POOL_SIZE?)", e.getMessage());
    }

    // ---- the charset of a notification that names none ----

    @Test
    void aNotificationWithoutCharsetIsUtf8UnlessTheAppSaysOtherwise() {
        assertEquals("utf-8", Settings.load(minimal(), Map.of()).apps().get(0).defaultCharset());
        assertEquals("gbk", Settings.load(minimalWith(Settings.DEFAULT_CHARSET, "GBK"), Map.of()).apps().get(0)
                .defaultCharset(), "lower-cased, as the parser compares");

        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APPS, "web, legacy");
        sys.put("alipay.app.web.app-id", "2021000000000001");
        sys.put("alipay.app.web.public-key", PUBLIC_KEY);
        sys.put("alipay.app.legacy.app-id", "2021000000000002");
        sys.put("alipay.app.legacy.public-key", PUBLIC_KEY);
        sys.put("alipay.app.legacy.default-charset", "gb18030");
        sys.put(Settings.DB_URL, DB_URL);
        Settings s = Settings.load(sys, Map.of());
        assertEquals(List.of("utf-8", "gb18030"), s.apps().stream().map(AppSettings::defaultCharset).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"utf8", "latin1", "big5", "utf-16", "iso-8859-1"})
    void aDefaultCharsetAlipayDoesNotUseIsRefused(String charset) {
        assertNames(Settings.DEFAULT_CHARSET, refused(minimalWith(Settings.DEFAULT_CHARSET, charset)));

        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APPS, "web");
        sys.put("alipay.app.web.app-id", APP_ID);
        sys.put("alipay.app.web.public-key", PUBLIC_KEY);
        sys.put("alipay.app.web.default-charset", charset);
        sys.put(Settings.DB_URL, DB_URL);
        assertNames("alipay.app.web.default-charset", refused(sys));
    }

    @Test
    void theSingleAppDefaultCharsetBesideAlipayAppsIsRefusedAsAmbiguous() {
        Map<String, String> sys = new HashMap<>();
        sys.put(Settings.APPS, "web");
        sys.put("alipay.app.web.app-id", APP_ID);
        sys.put("alipay.app.web.public-key", PUBLIC_KEY);
        sys.put(Settings.DEFAULT_CHARSET, "gbk");
        sys.put(Settings.DB_URL, DB_URL);
        assertNames(Settings.DEFAULT_CHARSET, refused(sys));
    }

    // ---- the operators' sample, deploy/alipay-notify.properties ----

    private static final Path SAMPLE = Path.of("deploy/alipay-notify.properties");

    /** The sample with the commented-out settings lines that {@code keep} accepts uncommented. */
    private Path uncommented(java.util.function.Predicate<String> keep) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String line : Files.readAllLines(SAMPLE, StandardCharsets.UTF_8)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("#([a-z][a-z0-9.-]*) = ?(.*)").matcher(line);
            b.append(m.matches() && keep.test(m.group(1)) ? m.group(1) + "=" + m.group(2) : line).append('\n');
        }
        Path file = dir.resolve("uncommented.properties");
        Files.writeString(file, b, StandardCharsets.UTF_8);
        return file;
    }

    private static boolean severalApps(String key) {
        return key.equals(Settings.APPS) || key.startsWith(Settings.APP_PREFIX);
    }

    @Test
    void theSamplePropertiesFileNamesEveryKeyCommentedOut() throws IOException {
        String sample = Files.readString(SAMPLE, StandardCharsets.UTF_8);
        for (String key : Settings.KEYS) {
            assertTrue(sample.contains("\n#" + key + " = "), "deploy/alipay-notify.properties lacks " + key);
        }
        for (String suffix : AppSettings.SUFFIXES) {
            assertTrue(sample.contains("\n#alipay.app.web." + suffix + " = ")
                    || sample.contains("\n#alipay.app.mini." + suffix + " = "), "no app key ending in " + suffix);
        }
        Settings asShipped = Settings.load(minimalWith(Settings.CONFIG_FILE, SAMPLE.toString()), Map.of());
        assertEquals(APP_ID, asShipped.apps().get(0).appId(), "nothing is set by the sample as shipped");
    }

    @Test
    void theSamplesValuesLoadAndItsDefaultsAreTheCodes() throws IOException {
        Path single = uncommented(k -> !severalApps(k) && !k.equals(Settings.PUBLIC_KEY));
        Settings s = Settings.load(Map.of(Settings.CONFIG_FILE, single.toString()), Map.of());
        Settings defaults = Settings.load(minimal(), Map.of());

        assertEquals(defaults.apps().get(0).signType(), s.apps().get(0).signType());
        assertEquals(defaults.apps().get(0).defaultCharset(), s.apps().get(0).defaultCharset());
        assertEquals(defaults.certReloadSeconds(), s.certReloadSeconds());
        assertEquals(defaults.poolSize(), s.poolSize());
        assertEquals(defaults.initSchema(), s.initSchema());
        assertEquals(defaults.connectionTimeoutMs(), s.connectionTimeoutMs());
        assertEquals(defaults.lockWaitTimeoutSeconds(), s.lockWaitTimeoutSeconds());
        assertEquals(defaults.maxBodyBytes(), s.maxBodyBytes());
        assertEquals(defaults.retentionDays(), s.retentionDays());
        assertEquals(defaults.refusalRetentionDays(), s.refusalRetentionDays());
        assertEquals(defaults.refusalRecordsPerSecond(), s.refusalRecordsPerSecond());
        assertEquals(defaults.orderZeroRowsFail(), s.orderZeroRowsFail());
        assertEquals(defaults.eventsRetrySchedule(), s.eventsRetrySchedule());
        assertEquals(defaults.eventsTimeoutMs(), s.eventsTimeoutMs());
        assertEquals(defaults.eventsRetentionDays(), s.eventsRetentionDays());
        assertEquals(defaults.opsAllowedNetworks().toString(), s.opsAllowedNetworks().toString());
        assertEquals(defaults.waitingAlertMinutes(), s.waitingAlertMinutes());
        assertEquals(defaults.queryEnabled(), s.queryEnabled());
        assertEquals(defaults.gatewayUrl(), s.gatewayUrl());
        assertEquals(defaults.queryTimeoutMs(), s.queryTimeoutMs());
        assertEquals(defaults.queryPerMinute(), s.queryPerMinute());
        assertEquals(defaults.billEnabled(), s.billEnabled());
        assertEquals(defaults.billRunAt(), s.billRunAt());
        assertEquals(Settings.ORDER_SQL_KEYS.size(), s.orderSql().size(), "every order statement is in the sample");

        Path several = uncommented(k -> !k.startsWith("alipay.") || severalApps(k)
                || k.equals(Settings.CERT_RELOAD_SECONDS));
        assertEquals(List.of("web", "mini"), Settings.load(Map.of(Settings.CONFIG_FILE, several.toString()), Map.of())
                .apps().stream().map(AppSettings::name).toList());
    }
}
