package org.alipaynotify.request;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.Text;
import org.alipaynotify.config.Settings;

/**
 * Step 2, parse: decodes an {@code application/x-www-form-urlencoded} body with the charset that the body itself names
 * in its {@code charset} field, as Alipay signs it (without that field: the charset configured for the app the body
 * claims, utf-8 by default; older GBK apps send none and sign GBK bytes). We never use
 * {@code request.getParameter*}: it merges the query string into the form and decodes with the container's charset,
 * both of which break signatures.
 *
 * <p>{@code +} is a space and {@code %2B} a literal {@code +}. Refused: duplicate keys, malformed escapes, a segment
 * without {@code =}, an empty key, bytes that are not valid in the charset, a charset we do not accept. Empty
 * segments ({@code &&}) are skipped.
 */
public final class FormBodyParser {
    static final String CHARSET_FIELD = "charset";
    static final String APP_ID_FIELD = "app_id";
    static final String DEFAULT_CHARSET = "utf-8";
    /** Charsets Alipay uses; names compared case-insensitively. */
    private static final List<String> ACCEPTED = Settings.CHARSETS;

    private FormBodyParser() {
    }

    /** As {@link #parse(byte[], Function)} with utf-8 for a body without a charset field. */
    public static NotifyForm parse(byte[] body) throws Refused {
        return parse(body, appId -> DEFAULT_CHARSET);
    }

    /**
     * @param defaultCharset the charset of a body without a charset field, given the app_id it claims (null when it
     *                       claims none); the app_id's value is ASCII in every accepted charset, so it is read before
     *                       anything is decoded
     */
    public static NotifyForm parse(byte[] body, Function<String, String> defaultCharset) throws Refused {
        List<byte[][]> pairs = split(body);
        String charsetName = findCharset(pairs);
        if (charsetName == null) {
            charsetName = defaultCharset.apply(rawValue(pairs, APP_ID_FIELD));
        }
        Charset charset = Charset.forName(charsetName);
        Map<String, String> fields = new LinkedHashMap<>();
        for (byte[][] pair : pairs) {
            String key = decode(pair[0], charset, "a key");
            if (key.isEmpty()) {
                throw new Refused(Outcome.MALFORMED_BODY, "a field has an empty name");
            }
            String value = decode(pair[1], charset, "the value of " + Text.printable(key, 40));
            if (fields.putIfAbsent(key, value) != null) {
                throw new Refused(Outcome.MALFORMED_BODY, "duplicate key '" + Text.printable(key, 40) + "'");
            }
        }
        return new NotifyForm(Collections.unmodifiableMap(fields), charsetName, charset, body.clone());
    }

    /** Splits on {@code &} and the first {@code =}, percent-decoding to bytes (no charset needed yet). */
    private static List<byte[][]> split(byte[] body) throws Refused {
        List<byte[][]> pairs = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= body.length; i++) {
            if (i == body.length || body[i] == '&') {
                if (i > start) {
                    int eq = indexOf(body, (byte) '=', start, i);
                    if (eq < 0) {
                        throw new Refused(Outcome.MALFORMED_BODY, "segment " + (pairs.size() + 1) + " has no '='");
                    }
                    pairs.add(new byte[][] {unescape(body, start, eq), unescape(body, eq + 1, i)});
                }
                start = i + 1;
            }
        }
        if (pairs.isEmpty()) {
            throw new Refused(Outcome.MALFORMED_BODY, "body holds no fields");
        }
        return pairs;
    }

    /**
     * The charset field's value is ASCII in every charset we accept (all are ASCII supersets), so it can be found
     * before the rest is decoded.
     */
    private static String findCharset(List<byte[][]> pairs) throws Refused {
        String found = null;
        for (byte[][] pair : pairs) {
            if (CHARSET_FIELD.equals(new String(pair[0], StandardCharsets.ISO_8859_1))) {
                if (found != null) {
                    throw new Refused(Outcome.MALFORMED_BODY, "duplicate key 'charset'");
                }
                found = new String(pair[1], StandardCharsets.ISO_8859_1);
            }
        }
        if (found == null || found.isEmpty()) {
            return null;
        }
        String lower = found.trim().toLowerCase(Locale.ROOT);
        if (!ACCEPTED.contains(lower)) {
            throw new Refused(Outcome.UNSUPPORTED_CHARSET, "charset '" + Text.printable(found, 40)
                    + "' is not one of " + ACCEPTED);
        }
        return lower;
    }

    /** The first value of the field, its bytes as Latin-1 (exact for ASCII), or null. */
    private static String rawValue(List<byte[][]> pairs, String field) {
        for (byte[][] pair : pairs) {
            if (field.equals(new String(pair[0], StandardCharsets.ISO_8859_1))) {
                return new String(pair[1], StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int indexOf(byte[] b, byte x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] unescape(byte[] b, int from, int to) throws Refused {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < to ? Character.digit(b[i + 1], 16) : -1;
                int lo = hi >= 0 ? Character.digit(b[i + 2], 16) : -1;
                if (lo < 0) {
                    throw new Refused(Outcome.MALFORMED_BODY, "malformed percent escape at byte " + i);
                }
                out.write((hi << 4) | lo);
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static String decode(byte[] bytes, Charset charset, String what) throws Refused {
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Refused(Outcome.MALFORMED_BODY, what + " is not valid " + charset.name());
        }
    }
}
