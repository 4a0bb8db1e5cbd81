package org.alipaynotify.bench;

import com.alipay.api.internal.util.AlipaySignature;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.Map;

/**
 * FOR COMPARISON ONLY, never deployed: the handler a merchant writes from the usual tutorials, so the benchmark can
 * show what our guarantees cost or save against it. Container form parsing ({@code getParameterMap}, which merges
 * the query string and decodes with the container's charset), {@code rsaCertCheckV1} with a file path on every
 * call, a new JDBC connection per request, and a plain UPDATE in autocommit: no row lock, no amount check, no
 * dedup, no record of the notification.
 */
final class NaiveNotifyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String certPath;
    private final String jdbcUrl;
    private final String user;
    private final String password;

    NaiveNotifyServlet(String certPath, String jdbcUrl, String user, String password) {
        this.certPath = certPath;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, String> params = new HashMap<>();
        for (Map.Entry<String, String[]> e : request.getParameterMap().entrySet()) {
            params.put(e.getKey(), String.join(",", e.getValue()));
        }
        String answer = "failure";
        try {
            if (AlipaySignature.rsaCertCheckV1(params, certPath, "UTF-8", "RSA2")
                    && "TRADE_SUCCESS".equals(params.get("trade_status"))) {
                try (Connection c = DriverManager.getConnection(jdbcUrl, user, password);
                        PreparedStatement ps = c.prepareStatement(
                                "UPDATE naive_order SET trade_status = ?, trade_no = ? WHERE out_trade_no = ?")) {
                    ps.setString(1, params.get("trade_status"));
                    ps.setString(2, params.get("trade_no"));
                    ps.setString(3, params.get("out_trade_no"));
                    ps.executeUpdate();
                }
                answer = "success";
            }
        } catch (Exception e) {
            answer = "failure";
        }
        response.setContentType("text/plain");
        response.setContentLength(answer.length()); // our load generator reads Content-Length, not chunks
        response.getWriter().write(answer);
    }
}
