package org.alipaynotify.request;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;

/**
 * Step 1, accept: only a POST with a form content type, and only a body no larger than the limit (inclusive). A body
 * announced as larger is refused before a byte of it is read; a chunked one is cut off at limit + 1 bytes.
 */
public final class RequestReader {
    static final String FORM = "application/x-www-form-urlencoded";

    private final int maxBodyBytes;

    public RequestReader(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    byte[] read(HttpServletRequest request) throws Refused {
        if (!"POST".equals(request.getMethod())) {
            throw new Refused(Outcome.METHOD_NOT_ALLOWED, "method " + request.getMethod() + " is not POST");
        }
        String contentType = request.getContentType();
        if (contentType == null || !FORM.equals(mediaType(contentType))) {
            throw new Refused(Outcome.UNSUPPORTED_MEDIA_TYPE, "content type " + (contentType == null ? "missing"
                    : "'" + Text.printable(contentType, 100) + "'") + ", expected " + FORM);
        }
        long announced = request.getContentLengthLong();
        if (announced > maxBodyBytes) {
            throw new Refused(Outcome.BODY_TOO_LARGE, "Content-Length " + announced + " exceeds the limit of "
                    + maxBodyBytes + " bytes");
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = readAtMost(in, maxBodyBytes + 1);
        } catch (IOException e) {
            throw new Refused(Outcome.MALFORMED_BODY, "body could not be read: " + e.getClass().getSimpleName());
        }
        if (body.length > maxBodyBytes) {
            throw new Refused(Outcome.BODY_TOO_LARGE, "body exceeds the limit of " + maxBodyBytes + " bytes");
        }
        if (body.length == 0) {
            throw new Refused(Outcome.MALFORMED_BODY, "empty body");
        }
        return body;
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return type.trim().toLowerCase(Locale.ROOT);
    }

    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        byte[] buffer = new byte[Math.min(max, 8 * 1024)];
        int length = 0;
        while (length < max) {
            if (length == buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.min(max, buffer.length * 2));
            }
            int n = in.read(buffer, length, buffer.length - length);
            if (n < 0) {
                break;
            }
            length += n;
        }
        return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
    }
}
