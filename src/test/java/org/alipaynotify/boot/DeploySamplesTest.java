package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.alipaynotify.config.Settings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The operators' samples in deploy/ (read from the repository, as the deployment test renders them) hold what
 * RELIABILITY.md promises: a request waits for the database no longer than documented, nginx waits longer than
 * that, and nginx exposes /alipay/notify alone, by its canonical path, with no forwarding header of the client's.
 */
class DeploySamplesTest {
    private static final Path NGINX = Path.of("deploy/nginx/alipay-notify.conf");
    private static final Path CONTEXT = Path.of("deploy/tomcat/context.xml");
    private static final Path RELIABILITY = Path.of("RELIABILITY.md");
    /** Every forwarding header Jetty 12's ForwardedRequestCustomizer or Tomcat's RemoteIpValve can read. */
    private static final List<String> CLEARED = List.of("Forwarded", "X-Forwarded-Host", "X-Forwarded-Port",
            "X-Forwarded-Server", "X-Forwarded-By", "X-Forwarded-Prefix", "X-Forwarded-Ssl", "X-Proxied-Https",
            "X-Real-IP", "Proxy-auth-cert", "Proxy-ssl-id");

    private static int documentedConnectionTimeoutMs;
    private static int documentedLockWaitSeconds;
    private static Map<String, String> pool;
    private static List<Directive> nginx;

    @BeforeAll
    static void readTheSamples() throws Exception {
        String reliability = Files.readString(RELIABILITY, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("With the defaults \\(`db\\.connection-timeout-ms=(\\d+)`,"
                + " `db\\.lock-wait-timeout-seconds=(\\d+)`\\)").matcher(reliability);
        assertTrue(m.find(), "RELIABILITY.md no longer states the default bounds the way this test reads them");
        documentedConnectionTimeoutMs = Integer.parseInt(m.group(1));
        documentedLockWaitSeconds = Integer.parseInt(m.group(2));
        pool = resource();
        nginx = parse(Files.readString(NGINX, StandardCharsets.UTF_8));
    }

    // ---- the bounds ----

    @Test
    void theDocumentedBoundsAreTheSettingsDefaults() {
        Settings defaults = Settings.load(Map.of(Settings.APP_ID, "2021000000000001",
                Settings.PUBLIC_KEY, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
                Settings.DB_URL, "jdbc:mysql://localhost:3306/pay"), Map.of());
        assertEquals(defaults.connectionTimeoutMs(), documentedConnectionTimeoutMs);
        assertEquals(defaults.lockWaitTimeoutSeconds(), documentedLockWaitSeconds);
    }

    @Test
    void theTomcatPoolWaitsForAConnectionNoLongerThanDocumented() {
        String timeout = pool.get("connectionTimeout");
        assertNotNull(timeout, CONTEXT + ": no connectionTimeout, so HikariCP waits its default 30 s for a connection");
        int ms = Integer.parseInt(timeout);
        assertTrue(ms >= 250 && ms <= documentedConnectionTimeoutMs,
                CONTEXT + ": connectionTimeout " + ms + " ms, documented bound " + documentedConnectionTimeoutMs);
    }

    @Test
    void theTomcatPoolsLockWaitIsTheDocumentedOne() {
        String init = pool.getOrDefault("connectionInitSql", "");
        Matcher m = Pattern.compile("(?i)^SET SESSION innodb_lock_wait_timeout\\s*=\\s*(\\d+)$").matcher(init.trim());
        assertTrue(m.matches(), CONTEXT + ": connectionInitSql does not set the lock wait: '" + init + "'");
        assertEquals(documentedLockWaitSeconds, Integer.parseInt(m.group(1)), CONTEXT + ": lock wait");
    }

    @Test
    void nginxWaitsLongerThanTheWebappsWorstCase() {
        List<String> read = only(server(), "proxy_read_timeout").args();
        int nginxSeconds = seconds(read.get(0));
        int documented = documentedConnectionTimeoutMs / 1000 + documentedLockWaitSeconds;
        // without the attribute HikariCP waits its default 30 s
        int tomcat = Integer.parseInt(pool.getOrDefault("connectionTimeout", "30000")) / 1000
                + documentedLockWaitSeconds;
        assertTrue(nginxSeconds > documented, NGINX + ": proxy_read_timeout " + nginxSeconds
                + " s must exceed connection timeout + lock wait (" + documented + " s)");
        assertTrue(nginxSeconds > tomcat, NGINX + ": proxy_read_timeout " + nginxSeconds
                + " s must exceed " + CONTEXT + "'s connection timeout + lock wait (" + tomcat + " s)");
    }

    // ---- nginx: only /alipay/notify is public ----

    @Test
    void nginxHasOnlyExactLocationsAndA404ForEverythingElse() {
        List<String> locations = new ArrayList<>();
        for (Directive d : server().block()) {
            if (d.name().equals("location")) {
                locations.add(String.join(" ", d.args()));
            }
        }
        assertEquals(List.of("= /alipay/notify", "= /alipay/health", "= /alipay/metrics", "/"), locations,
                NGINX + ": a prefix or regex location (such as location /alipay/) passes on spellings the container"
                        + " reads differently (/alipay/health;x)");
        Directive rest = location("/");
        assertEquals(List.of("404"), only(rest, "return").args());
        assertTrue(all(rest, "proxy_pass").isEmpty());
    }

    @Test
    void nginxProxiesEachLocationToItsCanonicalPath() {
        for (String path : List.of("/alipay/notify", "/alipay/health", "/alipay/metrics")) {
            assertEquals(List.of("http://@UPSTREAM@" + path), only(location("= " + path), "proxy_pass").args(),
                    NGINX + ": location = " + path + " must proxy_pass an explicit URI, so the container sees only it");
        }
    }

    @Test
    void nginxClearsEveryForwardingHeaderAtServerLevelAndSetsItsOwn() {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Directive d : all(server(), "proxy_set_header")) {
            headers.put(d.args().get(0).toLowerCase(java.util.Locale.ROOT), d.args().get(1));
        }
        for (String h : CLEARED) {
            assertEquals("", headers.get(h.toLowerCase(java.util.Locale.ROOT)),
                    NGINX + ": proxy_set_header " + h + " \"\"; missing at server level");
        }
        assertEquals("$remote_addr", headers.get("x-forwarded-for"));
        assertEquals("$scheme", headers.get("x-forwarded-proto"));
        for (Directive d : server().block()) {
            if (d.name().equals("location")) {
                assertTrue(all(d, "proxy_set_header").isEmpty(), NGINX + ": location " + d.args()
                        + " has a proxy_set_header of its own, so it inherits none of the server's");
            }
        }
    }

    @Test
    void healthAndMetricsOnlyFromListedAddresses() {
        for (String path : List.of("/alipay/health", "/alipay/metrics")) {
            List<Directive> access = new ArrayList<>();
            for (Directive d : location("= " + path).block()) {
                if (d.name().equals("allow") || d.name().equals("deny")) {
                    access.add(d);
                }
            }
            assertFalse(access.isEmpty(), path);
            Directive last = access.get(access.size() - 1);
            assertEquals("deny all", last.name() + " " + String.join(" ", last.args()), path);
            for (Directive d : access) {
                if (d.name().equals("allow")) {
                    // 127.0.0.0/8 would let the deployment test's refused client (127.0.0.2) in
                    assertFalse(List.of("all", "127.0.0.0/8", "0.0.0.0/0", "::/0").contains(d.args().get(0)),
                            path + ": allow " + d.args());
                }
            }
        }
    }

    @Test
    void notifyIsLimitedPerClientAddressGenerouslyEnoughForAlipay() {
        Map<String, Directive> zones = new LinkedHashMap<>();
        for (Directive d : nginx) {
            if (d.name().equals("limit_req_zone") || d.name().equals("limit_conn_zone")) {
                assertEquals("$binary_remote_addr", d.args().get(0), d.toString());
                zones.put(d.args().get(1).replaceFirst(":.*", "").replace("zone=", ""), d);
            }
        }
        Directive notify = location("= /alipay/notify");
        String reqZone = only(notify, "limit_req").args().get(0).replace("zone=", "");
        String connZone = only(notify, "limit_conn").args().get(0);
        assertTrue(zones.containsKey(reqZone) && zones.containsKey(connZone),
                "limit_req_zone and limit_conn_zone at http level, above the server block: " + zones.keySet());
        Matcher rate = Pattern.compile("rate=(\\d+)r/s").matcher(String.join(" ", zones.get(reqZone).args()));
        assertTrue(rate.find(), "rate in requests per second");
        // Alipay sends a busy merchant's notifications from a few addresses: a few hundred per second each.
        assertTrue(Integer.parseInt(rate.group(1)) >= 100, "rate " + rate.group(1) + "r/s would throttle Alipay");
        assertTrue(String.join(" ", only(notify, "limit_req").args()).matches(".*burst=\\d+.*nodelay.*"),
                "a burst let through at once");
    }

    // ---- reading the samples ----

    private static Map<String, String> resource() throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        NodeList resources = f.newDocumentBuilder().parse(CONTEXT.toFile()).getElementsByTagName("Resource");
        for (int i = 0; i < resources.getLength(); i++) {
            Element e = (Element) resources.item(i);
            if (e.getAttribute("name").equals("jdbc/alipayNotify")) {
                Map<String, String> attributes = new LinkedHashMap<>();
                for (int a = 0; a < e.getAttributes().getLength(); a++) {
                    attributes.put(e.getAttributes().item(a).getNodeName(), e.getAttributes().item(a).getNodeValue());
                }
                return attributes;
            }
        }
        throw new AssertionError(CONTEXT + ": no <Resource name=\"jdbc/alipayNotify\">");
    }

    private static int seconds(String nginxTime) {
        Matcher m = Pattern.compile("(\\d+)(s?)").matcher(nginxTime);
        assertTrue(m.matches(), "a time in seconds, got " + nginxTime);
        return Integer.parseInt(m.group(1));
    }

    private static Directive server() {
        return only(nginx, "server");
    }

    private static Directive location(String match) {
        for (Directive d : server().block()) {
            if (d.name().equals("location") && String.join(" ", d.args()).equals(match)) {
                return d;
            }
        }
        throw new AssertionError(NGINX + ": no location " + match);
    }

    private static List<Directive> all(Directive parent, String name) {
        List<Directive> found = new ArrayList<>();
        for (Directive d : parent.block() == null ? List.<Directive>of() : parent.block()) {
            if (d.name().equals(name)) {
                found.add(d);
            }
        }
        return found;
    }

    private static Directive only(Directive parent, String name) {
        return only(parent.block(), name);
    }

    private static Directive only(List<Directive> directives, String name) {
        List<Directive> found = new ArrayList<>();
        for (Directive d : directives) {
            if (d.name().equals(name)) {
                found.add(d);
            }
        }
        assertEquals(1, found.size(), NGINX + ": expected one " + name + ", found " + found);
        return found.get(0);
    }

    /** A directive, with its block when it has one ({@code server {...}}), else null. */
    record Directive(String name, List<String> args, List<Directive> block) {
    }

    /** Enough of nginx's syntax for our sample: words, quoted strings, comments, ';' and blocks. */
    static List<Directive> parse(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '{' || c == '}' || c == ';') {
                tokens.add(String.valueOf(c));
                i++;
            } else if (c == '"' || c == '\'') {
                int end = text.indexOf(c, i + 1);
                assertTrue(end > 0, "unterminated string in " + NGINX);
                tokens.add("\u0000" + text.substring(i + 1, end)); // marked: a quoted "{" is not a block
                i = end + 1;
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i))
                        && "{};".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                tokens.add(text.substring(start, i));
            }
        }
        int[] at = {0};
        List<Directive> top = block(tokens, at);
        assertEquals(tokens.size(), at[0], NGINX + ": unbalanced '}'");
        return top;
    }

    private static List<Directive> block(List<String> tokens, int[] at) {
        List<Directive> directives = new ArrayList<>();
        List<String> words = new ArrayList<>();
        while (at[0] < tokens.size()) {
            String t = tokens.get(at[0]++);
            switch (t) {
                case ";" -> {
                    directives.add(new Directive(words.get(0), unquoted(words), null));
                    words = new ArrayList<>();
                }
                case "{" -> {
                    List<String> head = unquoted(words);
                    directives.add(new Directive(words.get(0), head, block(tokens, at)));
                    assertEquals("}", tokens.get(at[0] - 1), NGINX + ": unclosed block " + head);
                    words = new ArrayList<>();
                }
                case "}" -> {
                    return directives;
                }
                default -> words.add(t);
            }
        }
        assertTrue(words.isEmpty(), NGINX + ": directive without ';': " + words);
        return directives;
    }

    private static List<String> unquoted(List<String> words) {
        List<String> args = new ArrayList<>();
        for (String w : words.subList(1, words.size())) {
            args.add(w.startsWith("\u0000") ? w.substring(1) : w);
        }
        return args;
    }
}
