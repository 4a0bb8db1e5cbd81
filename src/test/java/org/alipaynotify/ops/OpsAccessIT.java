package org.alipaynotify.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.TestDatabase;
import org.alipaynotify.testsupport.WarServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ops.allowed-networks over real HTTP, on the built WAR in Jetty 12 with no proxy in front: the test client is
 * 127.0.0.1, so a list without it must get 403 for every spelling Jetty maps to the two servlets, and the defaults
 * must let it in.
 */
class OpsAccessIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> SPELLINGS = List.of("/alipay/health", "/alipay/metrics", "/alipay/health;x",
            "/alipay/metrics;jsessionid=1", "/alipay/./health", "/alipay/%68ealth");

    @TempDir
    Path dir;

    private Map<String, String> settings() throws Exception {
        return TestDatabase.get().webappSettings(SandboxKeys.generate().writeCertificate(dir.resolve("alipay.crt")));
    }

    private static HttpResponse<String> send(WarServer server, String method, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(server.uri("/") + path.substring(1)))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAddressOutsideTheListGets403AndNothingElseInEverySpelling() throws Exception {
        Map<String, String> s = settings();
        s.put(Settings.OPS_ALLOWED_NETWORKS, "10.0.0.0/8, 203.0.113.7, fd00::/8"); // not 127.0.0.1
        try (WarServer server = WarServer.start(s)) {
            for (String path : SPELLINGS) {
                for (String method : List.of("GET", "POST", "HEAD")) {
                    HttpResponse<String> r = send(server, method, path);
                    assertEquals(403, r.statusCode(), method + " " + path + ": " + r.body());
                    assertEquals("text/plain;charset=utf-8", r.headers().firstValue("Content-Type").orElse("")
                            .toLowerCase(java.util.Locale.ROOT).replace(" ", ""), method + " " + path);
                    assertEquals(method.equals("HEAD") ? "" : "forbidden", r.body(), method + " " + path);
                }
            }
            // Only the two operational servlets: the notification endpoint answers as always.
            HttpResponse<String> notify = server.get("/alipay/notify");
            assertEquals(405, notify.statusCode());
            assertEquals("failure", notify.body());
        }
    }

    @Test
    void theDefaultNetworksLetLoopbackIn() throws Exception {
        try (WarServer server = WarServer.start(settings())) {
            for (String path : SPELLINGS) {
                HttpResponse<String> r = send(server, "GET", path);
                assertEquals(200, r.statusCode(), path + ": " + r.body());
                assertTrue(r.body().contains(path.contains("etrics") ? "alipay_notify_" : "\"status\":\"UP\""),
                        path + ": " + r.body());
            }
        }
    }
}
