package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormBodyParserTest {
    private static final String CHINESE = "支付宝测试商品";

    private static byte[] ascii(String body) {
        return body.getBytes(StandardCharsets.US_ASCII);
    }

    private static String enc(String value, Charset charset) {
        return URLEncoder.encode(value, charset);
    }

    private static Outcome refusal(byte[] body) {
        return assertThrows(Refused.class, () -> FormBodyParser.parse(body)).outcome();
    }

    private static Outcome refusal(String body) {
        return refusal(ascii(body));
    }

    @Test
    void decodesUtf8ChineseText() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("charset=utf-8&subject=" + enc(CHINESE, StandardCharsets.UTF_8)));

        assertEquals(CHINESE, form.get("subject"));
        assertEquals("utf-8", form.charsetName());
        assertEquals(StandardCharsets.UTF_8, form.charset());
    }

    @Test
    void decodesGbkChineseTextWithTheCharsetTheBodyNames() throws Refused {
        Charset gbk = Charset.forName("GBK");
        String encoded = enc(CHINESE, gbk);
        // the GBK escapes differ from the UTF-8 ones, so decoding with UTF-8 would not give the text back
        assertNotEquals(enc(CHINESE, StandardCharsets.UTF_8), encoded);

        NotifyForm form = FormBodyParser.parse(ascii("subject=" + encoded + "&charset=gbk"));

        assertEquals(CHINESE, form.get("subject"));
        assertEquals("gbk", form.charsetName());
        assertEquals(gbk, form.charset());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gb2312", "gb18030"})
    void acceptsTheOtherChineseCharsets(String name) throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("charset=" + name + "&subject=" + enc(CHINESE, Charset.forName(name))));

        assertEquals(CHINESE, form.get("subject"));
        assertEquals(name, form.charsetName());
        assertEquals(Charset.forName(name), form.charset());
    }

    @ParameterizedTest
    @ValueSource(strings = {"UTF-8", "Utf-8", "GBK", "GB18030"})
    void acceptsCharsetNamesInAnyCaseAndLowerCasesThem(String name) throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("charset=" + name + "&subject=" + enc(CHINESE, Charset.forName(name))));

        assertEquals(CHINESE, form.get("subject"));
        assertEquals(name.toLowerCase(java.util.Locale.ROOT), form.charsetName());
        assertEquals(name, form.get("charset"), "the field itself keeps the value as sent");
    }

    @Test
    void absentCharsetMeansUtf8() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("subject=" + enc(CHINESE, StandardCharsets.UTF_8)));

        assertEquals(CHINESE, form.get("subject"));
        assertEquals("utf-8", form.charsetName());
        assertEquals(StandardCharsets.UTF_8, form.charset());
    }

    @Test
    void plusIsASpaceAndEscapedPlusIsAPlus() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("a=x+y&b=x%2By&c=%2B+%2b"));

        assertEquals("x y", form.get("a"));
        assertEquals("x+y", form.get("b"));
        assertEquals("+ +", form.get("c"));
    }

    @Test
    void refusesADuplicateKey() {
        assertEquals(Outcome.MALFORMED_BODY, refusal("a=1&b=2&a=1"));
    }

    @Test
    void refusesADuplicateKeyThatOnlyDiffersInEscaping() {
        assertEquals(Outcome.MALFORMED_BODY, refusal("ab=1&%61b=2"));
    }

    @Test
    void refusesADuplicateCharset() {
        assertEquals(Outcome.MALFORMED_BODY, refusal("charset=utf-8&a=1&charset=utf-8"));
        assertEquals(Outcome.MALFORMED_BODY, refusal("charset=utf-8&charset=gbk"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a=%4", "a=%zz", "a=x%", "a=%G1", "a=%1G", "%4=x", "a=1&b=%&c=3", "a=%4&b=2"})
    void refusesMalformedEscapes(String body) {
        assertEquals(Outcome.MALFORMED_BODY, refusal(body));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a=1&b", "a=1&flag&c=2"})
    void refusesASegmentWithoutEquals(String body) {
        assertEquals(Outcome.MALFORMED_BODY, refusal(body));
    }

    @ParameterizedTest
    @ValueSource(strings = {"=x", "a=1&=x", "="})
    void refusesAnEmptyKey(String body) {
        assertEquals(Outcome.MALFORMED_BODY, refusal(body));
    }

    @Test
    void skipsEmptySegments() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("&a=1&&b=2&"));

        assertEquals(Map.of("a", "1", "b", "2"), form.fields());
    }

    @Test
    void keepsAnEmptyValue() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("a=&b=2"));

        assertEquals("", form.get("a"));
        assertTrue(form.fields().containsKey("a"));
        assertEquals("2", form.get("b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iso-8859-1", "utf-16", "us-ascii", "big5", "no-such-charset"})
    void refusesACharsetWeDoNotAccept(String name) {
        assertEquals(Outcome.UNSUPPORTED_CHARSET, refusal("charset=" + name + "&a=1"));
    }

    @Test
    void refusesBytesThatAreNotValidUtf8() {
        assertEquals(Outcome.MALFORMED_BODY, refusal("a=%FF%FE"));
        assertEquals(Outcome.MALFORMED_BODY, refusal("charset=utf-8&a=%FF%FE"));
    }

    @Test
    void refusesRawBytesThatAreNotValidUtf8() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(ascii("a="));
        body.write(0xFF);
        assertEquals(Outcome.MALFORMED_BODY, refusal(body.toByteArray()));
    }

    @Test
    void refusesBytesThatAreNotValidGbk() {
        // 0x80 is not a GBK lead byte
        assertEquals(Outcome.MALFORMED_BODY, refusal("charset=gbk&a=%80"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"&&&", "&", ""})
    void refusesABodyWithoutFields(String body) {
        assertEquals(Outcome.MALFORMED_BODY, refusal(body));
    }

    @Test
    void keepsTheRawBodyExactlyAndAsACopy() throws Refused {
        byte[] body = ascii("b=x+y&a=%2B&sign=abc%3D%3D&&");
        byte[] expected = body.clone();

        NotifyForm form = FormBodyParser.parse(body);
        assertArrayEquals(expected, form.rawBody());

        body[0] = 'z';
        body[body.length - 1] = '!';
        assertArrayEquals(expected, form.rawBody());
    }

    @Test
    void keepsTheFieldOrder() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("zeta=1&alpha=2&mid=3&charset=utf-8&beta=4"));

        assertEquals(List.of("zeta", "alpha", "mid", "charset", "beta"), List.copyOf(form.fields().keySet()));
    }

    @Test
    void aValueKeepsEverythingAfterTheFirstEquals() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("sign=abc==&expr=a=b=c&x=="));

        assertEquals("abc==", form.get("sign"));
        assertEquals("a=b=c", form.get("expr"));
        assertEquals("=", form.get("x"));
    }

    @Test
    void fieldsAreUnmodifiable() throws Refused {
        NotifyForm form = FormBodyParser.parse(ascii("a=1"));

        assertThrows(UnsupportedOperationException.class, () -> form.fields().put("b", "2"));
    }

    // ---- a body without a charset field: the charset its app is configured with ----

    private static final Charset GBK = Charset.forName("GBK");

    @Test
    void withoutACharsetFieldTheBodyIsReadInTheDefaultCharsetOfTheAppItClaims() throws Refused {
        byte[] body = ascii("app_id=2021000000000002&subject=" + enc(CHINESE, GBK));
        List<String> asked = new java.util.ArrayList<>();

        NotifyForm form = FormBodyParser.parse(body, appId -> {
            asked.add(appId);
            return "2021000000000002".equals(appId) ? "gbk" : "utf-8";
        });

        assertEquals(List.of("2021000000000002"), asked, "the claimed app_id, read before decoding");
        assertEquals(CHINESE, form.get("subject"));
        assertEquals("gbk", form.charsetName(), "what the signature is then checked in");
        assertEquals(GBK, form.charset());
    }

    @Test
    void aCharsetFieldWinsOverTheDefault() throws Refused {
        byte[] body = ascii("charset=utf-8&subject=" + enc(CHINESE, StandardCharsets.UTF_8));

        NotifyForm form = FormBodyParser.parse(body, appId -> "gbk");

        assertEquals(CHINESE, form.get("subject"));
        assertEquals("utf-8", form.charsetName());
    }

    @Test
    void aBodyClaimingNoAppGetsTheDefaultForNoApp() throws Refused {
        List<String> asked = new java.util.ArrayList<>();
        FormBodyParser.parse(ascii("subject=x"), appId -> {
            asked.add(appId);
            return "utf-8";
        });
        assertEquals(java.util.Collections.singletonList(null), asked);
    }

    @Test
    void aGbkBodyWithoutCharsetIsRefusedWhenTheDefaultIsUtf8() {
        // what happened to older GBK apps' notifications before alipay.default-charset
        assertEquals(Outcome.MALFORMED_BODY, refusal(ascii("subject=" + enc(CHINESE, GBK))));
    }
}
