package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.EventReceiver;
import org.alipaynotify.testsupport.Notifications;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules, the dashboard and README's "Metrics" table name only metrics that /alipay/metrics of the built WAR
 * really exports, and the dashboard shows every family it exports: scraped from the WAR in Jetty with everything that
 * adds meters switched on (certificate mode, the event relay, the waiting count).
 */
class MonitoringIT {
    @TempDir
    Path dir;

    /** The metric names of a Prometheus text exposition. */
    static Set<String> exported(String text) {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    /** A name as a query or README writes it: a sample name, or a histogram's or timer's family name. */
    static boolean isExported(String name, Set<String> exported) {
        return exported.contains(name) || exported.contains(name + "_bucket") || exported.contains(name + "_count");
    }

    @Test
    void theRulesTheDashboardAndTheReadmeNameOnlyExportedMetrics() throws Exception {
        SandboxKeys keys = SandboxKeys.generate();
        Map<String, String> s = TestDatabase.get().webappSettings(keys.writeCertificate(dir.resolve("alipay.crt")));
        byte[] secret = "monitoring-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        String text;
        try (EventReceiver receiver = new EventReceiver(secret)) {
            s.put(Settings.EVENTS_FORWARD_URL, receiver.uri().toString());
            s.put(Settings.EVENTS_SECRET, new String(secret, StandardCharsets.UTF_8));
            // both nets on, so that their families are exported too; the gateway is a closed port (calls fail)
            SandboxKeys app = SandboxKeys.generate();
            s.put(Settings.APP_PRIVATE_KEY_PATH, app.writePrivateKey(dir.resolve("app.pem")).toString());
            s.put(Settings.APP_CERT_PATH, app.writeCertificate(dir.resolve("app.crt")).toString());
            s.put(Settings.ALIPAY_ROOT_CERT_PATH, SandboxKeys.generate().writeCertificate(dir.resolve("root.crt"))
                    .toString());
            s.put(Settings.QUERY_ENABLED, "true");
            s.put(Settings.QUERY_GATEWAY_URL, "http://127.0.0.1:9/gateway.do");
            s.put(Settings.BILL_ENABLED, "true");
            try (WarServer server = WarServer.start(s)) {
                String id = Notifications.uniqueId("mon-");
                TestDatabase.get().insertOrder(id, "2.00");
                assertEquals("success", server.notify(AlipaySigner.formBody(new AlipaySigner(keys.keyPair()
                        .getPrivate()).signed(Notifications.tradeSuccess(id, "2.00")))).body());
                text = SilenceAlarmIT.awaitMetrics(server, "alipay_notify_orders_waiting_for_payment{app=\"default\"}");
            }
        }
        Set<String> exported = exported(text);

        List<String> missing = new ArrayList<>();
        List<String> rules = MonitoringRulesTest.alertRules().stream().map(r -> (String) r.get("expr")).toList();
        for (String name : MonitoringRulesTest.metricNames(rules)) {
            if (!name.equals("up") && !isExported(name, exported)) {
                missing.add("rules: " + name);
            }
        }
        Set<String> onDashboard = MonitoringRulesTest.metricNames(MonitoringRulesTest.dashboardQueries());
        for (String name : onDashboard) {
            if (!isExported(name, exported)) {
                missing.add("dashboard: " + name);
            }
        }
        for (String name : readmeMetricNames()) {
            if (!isExported(name, exported)) {
                missing.add("README: " + name);
            }
        }
        assertEquals(List.of(), missing, "not exported by /alipay/metrics:\n" + String.join("\n", exported));

        // the other way round: every family of ours has a panel (HikariCP's are chosen ones)
        Set<String> families = new TreeSet<>();
        for (String name : exported) {
            if (name.startsWith("alipay_notify_")) {
                families.add(name.replaceAll("_(bucket|count|sum|max)$", ""));
            }
        }
        List<String> unshown = new ArrayList<>();
        for (String family : families) {
            boolean shown = onDashboard.stream().anyMatch(n -> n.equals(family) || n.startsWith(family + "_"));
            if (!shown) {
                unshown.add(family);
            }
        }
        assertEquals(List.of(), unshown, "exported but on no dashboard panel");
    }

    /** The metric names in the table of README's "Metrics" section, each written in back quotes. */
    static Set<String> readmeMetricNames() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n### Metrics\n");
        String section = readme.substring(start, readme.indexOf("\n### ", start + 5));
        Set<String> names = new TreeSet<>();
        for (String row : section.split("\n")) {
            if (row.startsWith("| `")) { // the table's rows; the prose also names tables such as alipay_notify_unmatched
                Matcher m = Pattern.compile("`((?:alipay_notify|hikaricp)_[a-z0-9_]+)").matcher(row);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        assertTrue(names.size() >= 8, names.toString());
        return names;
    }
}
