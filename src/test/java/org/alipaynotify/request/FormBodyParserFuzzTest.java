package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes step 2, {@link FormBodyParser#parse(byte[])}, with raw bodies. See FUZZING.md.
 *
 * <p>Properties, checked on every input:
 * <ul>
 *   <li>it throws nothing but {@link Refused}, and a refusal is {@code MALFORMED_BODY} or {@code UNSUPPORTED_CHARSET};
 *   <li>a parsed form keeps the exact bytes received ({@code rawBody}), holds at least one field, and names one of the
 *       accepted charsets, the body's own {@code charset} field when it has a non-empty one;
 *   <li>re-encoding the parsed fields with {@link URLEncoder} in the parsed charset and parsing that again gives the
 *       same fields, in the same order, and the same charset.
 * </ul>
 *
 * <p>Regression inputs (raw bodies): {@code src/test/resources/org/alipaynotify/FormBodyParserFuzzTestInputs/parse/}.
 */
class FormBodyParserFuzzTest {
    static final Set<Outcome> PARSER_REFUSALS = EnumSet.of(Outcome.MALFORMED_BODY, Outcome.UNSUPPORTED_CHARSET);
    private static final List<String> ACCEPTED_CHARSETS = List.of("utf-8", "gbk", "gb2312", "gb18030");

    @BeforeAll
    static void regressionModeDefaults() {
        quietRegressionMode();
    }

    /** Tokens for the fuzzer: field names, charsets, states, escapes (shared with the other raw-body target). */
    @DictionaryFile(resourcePath = "notify-body.dict")
    @FuzzTest(maxDuration = "4m")
    void parse(byte[] body) {
        byte[] received = body.clone();
        NotifyForm form;
        try {
            form = FormBodyParser.parse(body);
        } catch (Refused refused) {
            assertTrue(PARSER_REFUSALS.contains(refused.outcome()),
                    "the parser refused with " + refused.outcome() + " (" + refused.reason() + ")");
            return;
        }
        // Anything else thrown (a RuntimeException, an Error) escapes and is a finding.

        assertArrayEquals(received, body, "the parser changed the caller's buffer");
        assertArrayEquals(received, form.rawBody(), "rawBody is not the body as received");
        assertFalse(form.fields().isEmpty(), "a parsed form without fields");
        assertTrue(ACCEPTED_CHARSETS.contains(form.charsetName()), "charset " + form.charsetName());
        assertEquals(Charset.forName(form.charsetName()), form.charset());
        String named = form.get(FormBodyParser.CHARSET_FIELD);
        if (named != null && !named.isEmpty()) {
            assertEquals(named.trim().toLowerCase(Locale.ROOT), form.charsetName(),
                    "the charset used is not the one the body names");
        } else {
            assertEquals(FormBodyParser.DEFAULT_CHARSET, form.charsetName());
        }

        byte[] again = encode(form.fields(), form.charset());
        NotifyForm reparsed;
        try {
            reparsed = FormBodyParser.parse(again);
        } catch (Refused refused) {
            fail("the re-encoded fields were refused with " + refused.outcome() + " (" + refused.reason()
                    + "): " + new String(again, StandardCharsets.US_ASCII));
            return;
        }
        assertEquals(new ArrayList<>(form.fields().entrySet()), new ArrayList<>(reparsed.fields().entrySet()),
                "re-encoding and parsing again changed the fields");
        assertEquals(form.charsetName(), reparsed.charsetName());
        assertArrayEquals(again, reparsed.rawBody());
    }

    /**
     * In regression mode (no {@code JAZZER_FUZZ}), switches Jazzer's hooks off unless {@code JAZZER_HOOKS} or
     * {@code jazzer.hooks} is set: installing them (the bug detectors' hooks into the JDK above all) costs 10-15 s per
     * JVM, while replaying the committed inputs takes about one. They only serve fuzzing (comparison feedback) and the
     * bug detectors, none of which applies to this code (no SQL, files, deserialization, reflection, expressions or
     * regular expressions built from input). Fuzzing mode keeps them all. Called by every fuzz test class before
     * Jazzer configures its agent (which it does once per JVM, for the first fuzz test that runs). See FUZZING.md.
     */
    static void quietRegressionMode() {
        if (fuzzing() || System.getenv("JAZZER_HOOKS") != null || System.getProperty("jazzer.hooks") != null) {
            return;
        }
        System.setProperty("jazzer.hooks", "false");
    }

    /** As Jazzer reads {@code JAZZER_FUZZ} (or the {@code jazzer.fuzz} property): set and not false. */
    static boolean fuzzing() {
        String v = System.getProperty("jazzer.fuzz", System.getenv("JAZZER_FUZZ"));
        return v != null && !v.isBlank() && !List.of("0", "false", "no").contains(v.trim().toLowerCase(Locale.ROOT));
    }

    /** The fields as an {@code application/x-www-form-urlencoded} body, as Alipay (and {@link URLEncoder}) write it. */
    static byte[] encode(Map<String, String> fields, Charset charset) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (out.length() > 0) {
                out.append('&');
            }
            out.append(URLEncoder.encode(e.getKey(), charset)).append('=')
                    .append(URLEncoder.encode(e.getValue(), charset));
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
