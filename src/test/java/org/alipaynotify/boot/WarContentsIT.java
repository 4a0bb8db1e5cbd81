package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/** The production WAR holds what it needs and nothing of development, tests or the SDK's unused dependencies. */
class WarContentsIT {
    private static final Set<String> EXPECTED_JARS = Set.of("alipay-sdk-java", "bcprov-jdk18on", "HikariCP",
            "mysql-connector-j", "log4j-api", "log4j-core", "log4j-slf4j2-impl", "slf4j-api",
            "log4j-layout-template-json",
            // Micrometer with its Prometheus and JMX registries
            "micrometer-core", "micrometer-commons", "micrometer-observation", "HdrHistogram", "jspecify",
            "micrometer-registry-prometheus", "prometheus-metrics-core", "prometheus-metrics-model",
            "prometheus-metrics-config", "prometheus-metrics-tracer-common", "prometheus-metrics-exposition-formats",
            "prometheus-metrics-exposition-textformats", "micrometer-registry-jmx", "metrics-jmx", "metrics-core");

    @Test
    void libHoldsExactlyTheRuntimeJarsAndNoDevelopmentClasses() throws Exception {
        Path war = Path.of(System.getProperty("alipay-notify.test.war", "target/alipay-notify.war"));
        Set<String> jars = new TreeSet<>();
        List<String> forbidden;
        try (ZipFile zip = new ZipFile(war.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            for (ZipEntry e : entries) {
                if (e.getName().startsWith("WEB-INF/lib/") && e.getName().endsWith(".jar")) {
                    // artifact name without the version: everything before the first "-<digit>"
                    jars.add(e.getName().substring("WEB-INF/lib/".length()).replaceFirst("-\\d.*$", ""));
                }
            }
            forbidden = entries.stream().map(ZipEntry::getName)
                    .filter(n -> n.contains("org/alipaynotify/dev/") || n.contains("testsupport")
                            || n.contains("META-INF/services/org.alipaynotify.boot.LocalRun") || n.endsWith("IT.class")
                            || n.endsWith("Test.class"))
                    .toList();
        }
        assertEquals(new TreeSet<>(EXPECTED_JARS), jars);
        assertTrue(forbidden.isEmpty(), "development or test classes in the WAR: " + forbidden);
    }
}
