package org.alipaynotify.ops;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.alipaynotify.config.Networks;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Health and metrics answer only to the addresses in {@code ops.allowed-networks}. nginx already keeps them from the
 * internet; this is the wall behind it, for a request that reaches the container some other way (a second proxy, a
 * connector left open, a spelling nginx and the container read differently). The address is the one the container
 * reports, after its own trusted-proxy handling (Tomcat's RemoteIpValve, Jetty's forwarded module), so behind nginx
 * it is the client's. web.xml maps this filter to the two servlets by name, not by URL, so every path the container
 * resolves to them ({@code ;x}, {@code //}, {@code ..;/}) passes through it.
 */
public final class OpsAccessFilter implements Filter {
    /** The {@link Networks} from the settings, set by the bootstrap as soon as the settings are read. */
    public static final String ATTRIBUTE = "org.alipaynotify.ops.allowedNetworks";
    private static final Logger LOG = LogManager.getLogger(OpsAccessFilter.class);
    // Nothing about what is behind: no endpoint name, no version, no hint at the setting.
    private static final byte[] REFUSED = "forbidden".getBytes(StandardCharsets.US_ASCII);

    private ServletContext context;

    @Override
    public void init(FilterConfig config) {
        context = config.getServletContext();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Networks allowed = (Networks) context.getAttribute(ATTRIBUTE);
        if (allowed == null) {
            // The settings could not be read, so the servlets can only say "not started": the defaults are enough.
            allowed = Networks.DEFAULT;
        }
        String remote = request.getRemoteAddr();
        if (allowed.contains(remote)) {
            chain.doFilter(request, response);
            return;
        }
        LOG.debug("Refused {}: not in ops.allowed-networks", remote);
        HttpServletResponse r = (HttpServletResponse) response;
        r.setStatus(HttpServletResponse.SC_FORBIDDEN);
        r.setContentType("text/plain;charset=UTF-8");
        r.setHeader("Cache-Control", "no-store");
        r.setContentLength(REFUSED.length);
        r.getOutputStream().write(REFUSED);
    }
}
