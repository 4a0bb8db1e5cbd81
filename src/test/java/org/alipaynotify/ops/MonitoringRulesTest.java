package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Prometheus rules and the Grafana dashboard in deploy/: well formed, every alert says what it means, and, where
 * promtool is installed (Debian's prometheus package; .ci/run installs it), promtool accepts the rules, their unit
 * tests pass (deploy/prometheus/alipay-notify-rules.test.yml) and every dashboard query parses. Whether the metrics
 * they name exist is MonitoringIT's question, against the running WAR.
 */
class MonitoringRulesTest {
    static final Path RULES = Path.of("deploy/prometheus/alipay-notify-rules.yml");
    static final Path RULE_TESTS = Path.of("deploy/prometheus/alipay-notify-rules.test.yml");
    static final Path DASHBOARD = Path.of("deploy/grafana/alipay-notify-dashboard.json");
    /** Our metric families and HikariCP's, as they appear in a PromQL expression (and Prometheus's own up). */
    static final Pattern METRIC = Pattern.compile("\\b(alipay_notify_[a-z0-9_]+|hikaricp_[a-z0-9_]+|up)\\b");

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alertRules() throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(RULES));
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        return rules;
    }

    /** Every panel's query, Grafana's variables replaced by what "All" selects. */
    @SuppressWarnings("unchecked")
    static List<String> dashboardQueries() throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(DASHBOARD)); // JSON is YAML
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> panel : (List<Map<String, Object>>) doc.get("panels")) {
            for (Map<String, Object> target : (List<Map<String, Object>>) panel.getOrDefault("targets", List.of())) {
                exprs.add(((String) target.get("expr")).replace("$job", ".*").replace("$instance", ".*"));
            }
        }
        return exprs;
    }

    static Set<String> metricNames(List<String> exprs) {
        Set<String> names = new LinkedHashSet<>();
        for (String e : exprs) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasAnExpressionASeverityAndSaysWhatToDo() throws IOException {
        List<Map<String, Object>> rules = alertRules();
        Set<String> names = new HashSet<>();
        for (Map<String, Object> rule : rules) {
            String name = (String) rule.get("alert");
            assertTrue(name != null && name.startsWith("AlipayNotify"), "alert rules only: " + rule);
            assertTrue(names.add(name), "two alerts named " + name);
            assertFalse(((String) rule.get("expr")).isBlank(), name);
            Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
            assertTrue(Set.of("critical", "warning").contains(labels.get("severity")), name + ": severity");
            Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
            assertFalse(((String) annotations.get("summary")).isBlank(), name + ": summary");
            assertTrue(((String) annotations.get("description")).length() > 40, name + ": description says why");
        }
        // the nets of issue 14 and the categories README's "Metrics" says to alert on
        for (String must : List.of("AlipayNotifySilentWhileOrdersWait", "AlipayNotifySilent", "AlipayNotifyDown",
                "AlipayNotifyDatabaseErrors", "AlipayNotifyInternalErrors", "AlipayNotifyReactionFailed",
                "AlipayNotifyBadSignatures", "AlipayNotifyBusinessMismatch", "AlipayNotifyNeedsAttention",
                "AlipayNotifyUnknownOrders", "AlipayNotifyRefusalRecordsDropped", "AlipayNotifyCertificateExpiring",
                "AlipayNotifyPoolWaiting", "AlipayNotifyEventsBacklog", "AlipayNotifyEventsParked",
                "AlipayNotifyQueryFoundPayment", "AlipayNotifyQueryCannotVerify", "AlipayNotifyBillDifferences",
                "AlipayNotifyBillFailing")) {
            assertTrue(names.contains(must), "missing " + must);
        }
        Set<String> used = metricNames(rules.stream().map(r -> (String) r.get("expr")).toList());
        assertTrue(used.containsAll(List.of("alipay_notify_last_acknowledged_timestamp_seconds",
                "alipay_notify_orders_waiting_for_payment")), used.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDashboardImportsWithADataSourceInputAndEveryPanelSaysWhatItShows() throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(DASHBOARD));
        List<Map<String, Object>> inputs = (List<Map<String, Object>>) doc.get("__inputs");
        assertEquals("DS_PROMETHEUS", inputs.get(0).get("name"));
        assertEquals("alipay-notify", doc.get("uid"));
        Set<Integer> ids = new HashSet<>();
        int queries = 0;
        for (Map<String, Object> panel : (List<Map<String, Object>>) doc.get("panels")) {
            assertTrue(ids.add((Integer) panel.get("id")), "panel ids are unique");
            if ("row".equals(panel.get("type"))) {
                continue;
            }
            String title = (String) panel.get("title");
            assertTrue(((String) panel.get("description")).length() > 40, title + ": description");
            assertEquals("${DS_PROMETHEUS}", ((Map<String, Object>) panel.get("datasource")).get("uid"), title);
            List<Map<String, Object>> targets = (List<Map<String, Object>>) panel.get("targets");
            assertFalse(targets.isEmpty(), title);
            queries += targets.size();
        }
        assertTrue(queries >= 20, "queries: " + queries);
    }

    static Optional<Path> promtool() {
        for (String p : List.of("/usr/bin/promtool", "/usr/local/bin/promtool")) {
            if (Files.isExecutable(Path.of(p))) {
                return Optional.of(Path.of(p));
            }
        }
        return Optional.empty();
    }

    static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }

    @Test
    void promtoolAcceptsTheRulesTheirUnitTestsPassAndEveryDashboardQueryParses() throws Exception {
        Optional<Path> promtool = promtool();
        if (promtool.isEmpty()) {
            System.out.println("SKIPPED promtool checks: promtool is not installed (Debian: apt-get install"
                    + " --no-install-recommends prometheus; .ci/run installs it); the YAML was still checked above");
            return;
        }
        String tool = promtool.get().toString();
        String checked = run(List.of(tool, "check", "rules", RULES.toString()));
        assertTrue(checked.contains("SUCCESS: " + alertRules().size() + " rules found"), checked);
        assertTrue(run(List.of(tool, "test", "rules", RULE_TESTS.toString())).contains("SUCCESS"));
        // promtool parses PromQL only inside rules: each dashboard query as a recording rule
        StringBuilder recording = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int i = 0;
        for (String expr : dashboardQueries()) {
            recording.append("      - record: dashboard:query_").append(i++).append("\n        expr: '")
                    .append(expr.replace("'", "''")).append("'\n");
        }
        Path file = Files.writeString(dir.resolve("dashboard-queries.yml"), recording);
        String parsed = run(List.of(tool, "check", "rules", file.toString()));
        assertTrue(parsed.contains("SUCCESS: " + i + " rules found"), parsed);
    }
}
