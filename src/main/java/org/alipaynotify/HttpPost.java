package org.alipaynotify;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.Map;

/**
 * One POST from a background worker (the event relay, the Alipay gateway client): bounded in time both ways, no
 * redirect followed, and no keep-alive, so no JVM-wide connection cache or timer thread outlives an undeploy.
 */
public final class HttpPost {
    /**
     * What came back: the status and at most {@code maxAnswer} bytes of the body; {@code tooLarge} when there was
     * more (the rest is never read).
     */
    public record Answer(int status, byte[] body, boolean tooLarge) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private HttpPost() {
    }

    /** @throws IOException unreachable, refused, or no answer within {@code timeoutMs} (a SocketTimeoutException) */
    public static Answer send(URI url, int timeoutMs, Map<String, String> headers, byte[] body, int maxAnswer)
            throws IOException {
        HttpURLConnection http = null;
        try {
            http = (HttpURLConnection) url.toURL().openConnection();
            http.setConnectTimeout(timeoutMs);
            http.setReadTimeout(timeoutMs);
            http.setInstanceFollowRedirects(false);
            http.setUseCaches(false);
            http.setDoOutput(true);
            http.setRequestMethod("POST");
            http.setFixedLengthStreamingMode(body.length);
            for (Map.Entry<String, String> h : headers.entrySet()) {
                http.setRequestProperty(h.getKey(), h.getValue());
            }
            try (OutputStream out = http.getOutputStream()) {
                out.write(body);
            }
            int status = http.getResponseCode();
            byte[] answer = new byte[0];
            try (InputStream in = status >= 400 ? http.getErrorStream() : http.getInputStream()) {
                if (in != null) {
                    answer = in.readNBytes(maxAnswer + 1);
                }
            }
            boolean tooLarge = answer.length > maxAnswer;
            return new Answer(status, tooLarge ? java.util.Arrays.copyOf(answer, maxAnswer) : answer, tooLarge);
        } finally {
            if (http != null) {
                http.disconnect();
            }
        }
    }
}
