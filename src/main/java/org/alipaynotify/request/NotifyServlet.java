package org.alipaynotify.request;

import jakarta.servlet.ServletException;
import jakarta.servlet.UnavailableException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alipaynotify.Ledger;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.apache.logging.log4j.CloseableThreadContext;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code /alipay/notify}: one request turns one Alipay trade notification into one committed change, or none.
 * Read {@link #service} top to bottom: accept ({@link RequestReader}), then parse, verify, check and apply
 * ({@link NotifyPath}), record a refusal, answer, count and log.
 */
public final class NotifyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** One line per request; see README.md, "Logs". */
    static final Logger NOTIFY_LOG = LogManager.getLogger("org.alipaynotify.notify");
    private static final Logger LOG = LogManager.getLogger(NotifyServlet.class);
    /**
     * Set (to {@code Boolean.TRUE}) by the local run alone: each answer then names its outcome and reason in the
     * headers {@link #OUTCOME_HEADER} and {@link #REASON_HEADER}, so the simulator can say why without the log. A
     * deployed webapp never does: the reasons would tell whoever can reach the URL what we checked.
     */
    public static final String EXPLAIN_ATTRIBUTE = NotifyServlet.class.getName() + ".explain";
    public static final String OUTCOME_HEADER = "Alipay-Notify-Outcome";
    public static final String REASON_HEADER = "Alipay-Notify-Reason";

    private transient NotifyEndpoint endpoint;
    private boolean explain;

    @Override
    public void init() throws ServletException {
        endpoint = (NotifyEndpoint) getServletContext().getAttribute(NotifyEndpoint.ATTRIBUTE);
        if (endpoint == null) {
            throw new UnavailableException("alipay-notify did not start; see the log for the setting to fix");
        }
        explain = Boolean.TRUE.equals(getServletContext().getAttribute(EXPLAIN_ATTRIBUTE));
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        long started = System.nanoTime();
        String remote = Text.address(request.getRemoteAddr());
        byte[] body = null;
        NotifyPath.Result result = null;
        Outcome outcome;
        String reason;
        try {
            body = endpoint.reader().read(request);
            result = endpoint.path().process(body, remote);
            outcome = result.outcome();
            reason = result.reason();
        } catch (Refused refused) {
            outcome = refused.outcome();
            reason = refused.reason();
        } catch (RuntimeException e) {
            LOG.error("Unexpected failure while handling a notification from {}", remote, e);
            outcome = Outcome.INTERNAL_ERROR;
            reason = e.getClass().getSimpleName();
        }
        NotifyForm form = result == null ? null : result.form();
        boolean logged = true;
        if (!outcome.acknowledged() && (result == null || !result.recorded())) {
            logged = endpoint.journal().record(remote, outcome, reason, body, form, result != null && result.verified());
        }
        if (explain) {
            response.setHeader(OUTCOME_HEADER, outcome.name());
            response.setHeader(REASON_HEADER, ascii(Text.printable(reason, 300)));
        }
        answer(response, outcome);
        long elapsed = System.nanoTime() - started;
        String app = result == null ? "-" : result.app();
        endpoint.observer().answered(app, outcome, elapsed, result == null ? null : result.times());
        if (logged) {
            log(form, remote, outcome, reason, elapsed / 1_000_000, app);
        }
    }

    private static void answer(HttpServletResponse response, Outcome outcome) throws IOException {
        byte[] answer = outcome.answer().getBytes(StandardCharsets.US_ASCII);
        response.setStatus(outcome.httpStatus());
        if (outcome == Outcome.METHOD_NOT_ALLOWED) {
            response.setHeader("Allow", "POST");
        }
        response.setContentType("text/plain;charset=US-ASCII");
        response.setContentLength(answer.length);
        response.getOutputStream().write(answer);
    }

    /**
     * The fields come from the body as received; for a refused request they are claims, not facts. They also go to
     * the thread context for the length of the call, so a JSON layout can emit each as a field of its own.
     */
    private static void log(NotifyForm form, String remote, Outcome outcome, String reason, long elapsedMs,
            String app) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("notify_id", field(form, "notify_id"));
        fields.put("out_trade_no", field(form, "out_trade_no"));
        fields.put("trade_status", field(form, "trade_status"));
        fields.put("outcome", outcome.name());
        fields.put("reason", Text.printable(reason, 300).replace('"', '\''));
        fields.put("elapsed_ms", Long.toString(elapsedMs));
        fields.put("remote", remote);
        fields.put("app", app);
        try (CloseableThreadContext.Instance ctc = CloseableThreadContext.putAll(fields)) {
            NOTIFY_LOG.log(levelOf(outcome, reason), "notify_id={} out_trade_no={} trade_status={} outcome={} reason=\"{}\""
                            + " elapsed_ms={} remote={} app={}", fields.values().toArray());
        }
    }

    /** A header value is Latin-1 at best: anything beyond ASCII is written as a Java escape. */
    private static String ascii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String field(NotifyForm form, String key) {
        String v = form == null ? null : form.get(key);
        return v == null ? "-" : Text.printable(v, 64).replace(' ', '_');
    }

    /** A lost conflict (a deadlock, a Galera certification conflict) is a WARN: retryable, nothing is wrong. */
    static Level levelOf(Outcome outcome, String reason) {
        if (outcome == Outcome.DATABASE_ERROR && reason != null && reason.startsWith(Ledger.CONFLICT)) {
            return Level.WARN;
        }
        switch (outcome) {
            case LATE_PAYMENT:
            case SECOND_TRADE:
            case AMOUNT_MISMATCH:
            case APP_ID_MISMATCH:
            case SELLER_ID_MISMATCH:
            case INVALID_FIELD:
            case DATABASE_ERROR:
            case INTERNAL_ERROR:
                return Level.ERROR;
            case BAD_SIGNATURE:
            case SIGN_TYPE_MISMATCH:
            case UNKNOWN_ORDER:
                return Level.WARN;
            default:
                return Level.INFO;
        }
    }
}
