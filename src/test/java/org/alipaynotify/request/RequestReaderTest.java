package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestReaderTest {
    private static final int LIMIT = 1024;
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final byte[] BODY = "notify_id=1&charset=utf-8".getBytes(StandardCharsets.US_ASCII);

    private final RequestReader reader = new RequestReader(LIMIT);

    /** A blocking servlet stream over bytes; it can hand them out a few at a time, as a network read does. */
    private static class BytesInputStream extends ServletInputStream {
        private final ByteArrayInputStream in;
        private final int chunk;
        int delivered;

        BytesInputStream(byte[] bytes) {
            this(bytes, Integer.MAX_VALUE);
        }

        BytesInputStream(byte[] bytes, int chunk) {
            this.in = new ByteArrayInputStream(bytes);
            this.chunk = chunk;
        }

        @Override
        public int read() {
            int b = in.read();
            if (b >= 0) {
                delivered++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = in.read(b, off, Math.min(len, chunk));
            if (n > 0) {
                delivered += n;
            }
            return n;
        }

        @Override
        public boolean isFinished() {
            return in.available() == 0;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
            throw new UnsupportedOperationException();
        }
    }

    /** Fails the test if anybody reads from it. */
    private static final class UntouchableInputStream extends BytesInputStream {
        UntouchableInputStream() {
            super(new byte[0]);
        }

        @Override
        public int read() {
            throw new AssertionError("the body must not be read");
        }

        @Override
        public int read(byte[] b, int off, int len) {
            throw new AssertionError("the body must not be read");
        }
    }

    /** Fails the way a reset connection does. */
    private static final class BrokenInputStream extends ServletInputStream {
        @Override
        public int read() throws IOException {
            throw new IOException("connection reset");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            throw new IOException("connection reset");
        }

        @Override
        public boolean isFinished() {
            return false;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
            throw new UnsupportedOperationException();
        }
    }

    private static HttpServletRequest request(String method, String contentType, long contentLength,
            ServletInputStream body) throws IOException {
        HttpServletRequest request = mock(HttpServletRequest.class);
        when(request.getMethod()).thenReturn(method);
        when(request.getContentType()).thenReturn(contentType);
        when(request.getContentLengthLong()).thenReturn(contentLength);
        when(request.getContentLength()).thenReturn((int) Math.min(contentLength, Integer.MAX_VALUE));
        when(request.getInputStream()).thenReturn(body);
        return request;
    }

    private static HttpServletRequest post(String contentType, byte[] body) throws IOException {
        return request("POST", contentType, body.length, new BytesInputStream(body));
    }

    private static HttpServletRequest chunkedPost(byte[] body) throws IOException {
        return request("POST", FORM, -1, new BytesInputStream(body));
    }

    private Outcome refusal(HttpServletRequest request) {
        return assertThrows(Refused.class, () -> reader.read(request)).outcome();
    }

    private static byte[] bytes(int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 'a');
        b[0] = 'x';
        b[length - 1] = 'z';
        return b;
    }

    @Test
    void readsAFormPost() throws Exception {
        assertArrayEquals(BODY, reader.read(post(FORM, BODY)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "HEAD", "post"})
    void refusesAnyMethodButPost(String method) throws IOException {
        assertEquals(Outcome.METHOD_NOT_ALLOWED,
                refusal(request(method, FORM, BODY.length, new UntouchableInputStream())));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"application/json", "text/plain", "multipart/form-data; boundary=x", "",
            "application/x-www-form-urlencodedx"})
    void refusesOtherContentTypes(String contentType) throws IOException {
        assertEquals(Outcome.UNSUPPORTED_MEDIA_TYPE,
                refusal(request("POST", contentType, BODY.length, new UntouchableInputStream())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/x-www-form-urlencoded; charset=GBK", "APPLICATION/X-WWW-FORM-URLENCODED",
            "Application/X-Www-Form-Urlencoded;charset=utf-8", " application/x-www-form-urlencoded ; charset=UTF-8"})
    void acceptsTheFormTypeWithParametersAndInAnyCase(String contentType) throws Exception {
        assertArrayEquals(BODY, reader.read(post(contentType, BODY)));
    }

    @Test
    void acceptsABodyOfExactlyTheLimit() throws Exception {
        byte[] body = bytes(LIMIT);

        assertArrayEquals(body, reader.read(post(FORM, body)));
    }

    @Test
    void acceptsAChunkedBodyOfExactlyTheLimit() throws Exception {
        byte[] body = bytes(LIMIT);

        assertArrayEquals(body, reader.read(chunkedPost(body)));
    }

    @Test
    void refusesAChunkedBodyOfOneByteOverTheLimit() throws IOException {
        assertEquals(Outcome.BODY_TOO_LARGE, refusal(chunkedPost(bytes(LIMIT + 1))));
    }

    @Test
    void stopsReadingAnOversizedChunkedBodyAtLimitPlusOne() throws IOException {
        BytesInputStream stream = new BytesInputStream(bytes(LIMIT * 10));

        assertEquals(Outcome.BODY_TOO_LARGE, refusal(request("POST", FORM, -1, stream)));
        assertEquals(LIMIT + 1, stream.delivered);
    }

    @Test
    void refusesABodyLargerThanItsContentLengthClaims() throws IOException {
        assertEquals(Outcome.BODY_TOO_LARGE,
                refusal(request("POST", FORM, 10, new BytesInputStream(bytes(LIMIT + 1)))));
    }

    @ParameterizedTest
    @ValueSource(longs = {LIMIT + 1, 10L * 1024 * 1024, Long.MAX_VALUE})
    void refusesAnAnnouncedOversizedBodyWithoutReadingIt(long contentLength) throws IOException {
        assertEquals(Outcome.BODY_TOO_LARGE,
                refusal(request("POST", FORM, contentLength, new UntouchableInputStream())));
    }

    @Test
    void refusesAnEmptyBody() throws IOException {
        assertEquals(Outcome.MALFORMED_BODY, refusal(post(FORM, new byte[0])));
        assertEquals(Outcome.MALFORMED_BODY, refusal(chunkedPost(new byte[0])));
    }

    @Test
    void refusesABodyThatCannotBeRead() throws IOException {
        assertEquals(Outcome.MALFORMED_BODY, refusal(request("POST", FORM, -1, new BrokenInputStream())));
        assertEquals(Outcome.MALFORMED_BODY, refusal(request("POST", FORM, BODY.length, new BrokenInputStream())));
    }

    @Test
    void refusesABodyWhoseStreamCannotBeOpened() throws IOException {
        HttpServletRequest request = request("POST", FORM, BODY.length, null);
        when(request.getInputStream()).thenThrow(new IOException("stream already closed"));

        assertEquals(Outcome.MALFORMED_BODY, refusal(request));
    }

    @Test
    void readsABodyLargerThanTheInitialBufferDeliveredInSmallPieces() throws Exception {
        RequestReader large = new RequestReader(64 * 1024);
        byte[] body = bytes(20_000);

        byte[] read = large.read(request("POST", FORM, -1, new BytesInputStream(body, 777)));

        assertEquals(20_000, read.length);
        assertArrayEquals(body, read);
    }
}
