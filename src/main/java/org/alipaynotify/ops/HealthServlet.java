package org.alipaynotify.ops;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code GET /alipay/health}: 200 with a JSON report when notifications can be taken, 503 when not. */
public final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Health health = (Health) getServletContext().getAttribute(Health.ATTRIBUTE);
        String json;
        int status;
        if (health == null) {
            status = 503;
            json = "{\"status\":\"DOWN\",\"version\":\"" + Health.VERSION
                    + "\",\"error\":\"not started: see the log line 'alipay-notify cannot start'\"}";
        } else {
            Health.Report report = health.check(request.getScheme(), request.getRemoteAddr());
            status = report.up() ? 200 : 503;
            json = report.json();
        }
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
