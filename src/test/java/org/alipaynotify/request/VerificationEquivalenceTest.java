package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.alipay.api.AlipayApiException;
import com.alipay.api.internal.util.AlipaySignature;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.testsupport.RealVectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evidence that lets the verifier stop calling {@code rsaCertCheckV1} on every request: checking with the public
 * key taken once from the certificate ({@code getAlipayPublicKey}) gives the same verdict as the SDK's per-call
 * certificate check, on Alipay's own signed notification, on thousands of random signed and tampered ones, and on a
 * certificate file that holds a chain.
 *
 * <p>Each case is judged both ways and the two verdicts must be equal. Each case also has an expected verdict, fixed
 * by how it was made (signed by the certificate's key and untouched, or changed in a way the signature covers): two
 * checks that were wrong together would otherwise pass as "equivalent". Alongside the tampered twins there are
 * neutral twins (a changed or dropped {@code sign_type} label, an added empty field): both ways must still accept
 * them, since they change nothing the signature covers. (The verifier's own {@code sign_type} check, which runs
 * before the SDK, is a separate step and not under test here.)
 *
 * <p>Equivalence is expected by construction, since {@code rsaCertCheckV1} in SDK 4.40.734.ALL is
 * {@code rsaCheckV1(params, getAlipayPublicKey(certPath), charset, signType)}. This test pins that behaviour against
 * SDK upgrades and against the key being taken from the wrong certificate of a chain.
 *
 * <p>The random part is reproducible: the seed is printed, and {@code -Dequivalence.seed=N} replays another one.
 */
class VerificationEquivalenceTest {
    private static final String SIGN_TYPE = "RSA2";
    private static final long DEFAULT_SEED = 20261125L;
    private static final int RANDOM_NOTIFICATIONS = 2_000;
    /** Share of random notifications that also get a neutral twin (one that must still verify). */
    private static final double NEUTRAL_SHARE = 0.25;

    private static SandboxKeys alipay;
    private static AlipaySigner signer;
    /** A second key pair: signatures that are well-formed but not Alipay's, and the follower in chain files. */
    private static SandboxKeys stranger;
    private static AlipaySigner strangerSigner;

    @BeforeAll
    static void keys() {
        alipay = SandboxKeys.generate();
        signer = new AlipaySigner(alipay.keyPair().getPrivate());
        stranger = SandboxKeys.generate();
        strangerSigner = new AlipaySigner(stranger.keyPair().getPrivate());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Alipay's own certificate-mode notification
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void realCertModeVectorAndItsTamperedTwins() throws Exception {
        Path cert = RealVectors.dir(RealVectors.CERT_MODE).resolve("alipayPublicCert.crt");
        byte[] body = RealVectors.read(RealVectors.CERT_MODE, "form-body.DERIVED.txt")
                .getBytes(StandardCharsets.US_ASCII);
        NotifyForm form = FormBodyParser.parse(body);
        Map<String, String> genuine = form.fields();
        String charset = form.charsetName();
        Judge judge = new Judge(cert, () -> "real vector " + RealVectors.CERT_MODE);

        judge.expect(true, "genuine", genuine, charset);

        // The issue's named tamperings first, then every field the signature covers, one at a time.
        judge.expect(false, "total_amount changed", with(genuine, "total_amount", "0.02"), charset);
        judge.expect(false, "refund_fee added", with(genuine, "refund_fee", "0.01"), charset);
        judge.expect(false, "'+' read as a space in subject",
                with(genuine, "subject", genuine.get("subject").replace('+', ' ')), charset);
        // the same damage arriving on the wire: a literal '+' where Alipay sent %2B, decoded by our own parser
        NotifyForm plusAsSpace = FormBodyParser.parse(new String(body, StandardCharsets.US_ASCII)
                .replace("yansongda%2B", "yansongda+").getBytes(StandardCharsets.US_ASCII));
        judge.expect(false, "'+' on the wire", plusAsSpace.fields(), plusAsSpace.charsetName());
        judge.expect(false, "claims gbk", with(genuine, "charset", "gbk"), "gbk");
        for (String key : genuine.keySet()) {
            if (!coveredBySignature(genuine, key)) {
                continue;
            }
            judge.expect(false, "field dropped", without(genuine, key), charsetOf(without(genuine, key)));
            judge.expect(false, "value changed", with(genuine, key, genuine.get(key) + "1"), charset);
            String swapped = swapAsciiCase(genuine.get(key));
            if (!swapped.equals(genuine.get(key))) {
                judge.expect(false, "value case changed", with(genuine, key, swapped), charsetOf(with(genuine, key,
                        swapped)));
            }
        }

        String sign = genuine.get("sign");
        for (int position = 0; position < fullBase64Groups(sign); position += 10) {
            judge.expect(false, "one sign character changed", with(genuine, "sign", replaceChar(sign, position,
                    otherBase64Char(sign.charAt(position), position))), charset);
        }
        judge.expect(false, "sign truncated", with(genuine, "sign", sign.substring(0, sign.length() / 2)), charset);
        judge.expect(false, "sign empty", with(genuine, "sign", ""), charset);
        judge.expect(false, "sign missing", without(genuine, "sign"), charset);

        // Neither sign_type nor an empty field is part of the signed content: the genuine signature still holds.
        judge.expect(true, "sign_type relabelled", with(genuine, "sign_type", "RSA"), charset);
        judge.expect(true, "sign_type dropped", without(genuine, "sign_type"), charset);
        judge.expect(true, "empty field added", with(genuine, "out_biz_no", ""), charset);

        judge.report("real vector");
        assertTrue(judge.invalid >= 40, "tampered twins of the real vector actually ran: " + judge.invalid);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Thousands of random notifications, signed, tampered, and neutrally changed
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void randomSignedAndTamperedNotifications(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("equivalence.seed", DEFAULT_SEED);
        System.out.println("VerificationEquivalenceTest: seed " + seed + " (replay with -Dequivalence.seed=" + seed
                + ")");
        long started = System.nanoTime();
        Random random = new Random(seed);
        Generator generator = new Generator(random);
        Path cert = alipay.writeCertificate(dir.resolve(SandboxKeys.CERT_FILE));
        int[] index = {0};
        Judge judge = new Judge(cert, () -> "seed " + seed + ", notification #" + index[0]);
        Map<Mutation, Integer> applied = new TreeMap<>();

        for (; index[0] < RANDOM_NOTIFICATIONS; index[0]++) {
            // Through the wire and our parser, so both checks see exactly what the servlet would hand them.
            NotifyForm form = FormBodyParser.parse(AlipaySigner.formBody(signer.signed(generator.notification(),
                    SIGN_TYPE)));
            Map<String, String> signed = form.fields();
            generator.tally(signed);
            judge.expect(true, "signed", signed, form.charsetName());

            Twin tampered = generator.twin(signed, Mutation.TAMPERING);
            applied.merge(tampered.mutation, 1, Integer::sum);
            judge.expect(false, tampered.mutation.name(), tampered.params, charsetOf(tampered.params));

            if (random.nextDouble() < NEUTRAL_SHARE) {
                Twin neutral = generator.twin(signed, Mutation.NEUTRAL);
                applied.merge(neutral.mutation, 1, Integer::sum);
                judge.expect(true, neutral.mutation.name(), neutral.params, charsetOf(neutral.params));
            }
        }

        double seconds = (System.nanoTime() - started) / 1e9;
        judge.report("random, seed " + seed);
        System.out.printf("  mutations applied: %s%n  corpus: %s%n  whole test %.1f s%n", applied,
                generator.shapes, seconds);

        assertTrue(judge.valid >= RANDOM_NOTIFICATIONS, "signed notifications checked: " + judge.valid);
        assertTrue(judge.invalid >= RANDOM_NOTIFICATIONS, "tampered twins checked: " + judge.invalid);
        // A mutation that silently stopped applying, or a corpus that lost a shape, would weaken the proof unseen.
        for (Mutation m : Mutation.values()) {
            assertTrue(applied.getOrDefault(m, 0) >= 20, "mutation " + m + " applied only "
                    + applied.getOrDefault(m, 0) + " times");
        }
        for (Map.Entry<String, Integer> shape : generator.shapes.entrySet()) {
            assertTrue(shape.getValue() >= 20, "corpus shape '" + shape.getKey() + "' seen only " + shape.getValue()
                    + " times");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. A certificate file holding a chain: only the first certificate counts
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void chainFileFirstCertificateCountsForBoth(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("equivalence.seed", DEFAULT_SEED);
        Generator generator = new Generator(new Random(seed + 1));
        // The same two certificates in both orders: whichever comes first decides, for both ways of checking.
        Path alipayFirst = alipay.writeCertificate(dir.resolve("alipay-first.crt"), stranger.certificate());
        Path strangerFirst = stranger.writeCertificate(dir.resolve("stranger-first.crt"), alipay.certificate());
        Judge alipayChain = new Judge(alipayFirst, () -> "chain, Alipay's certificate first");
        Judge strangerChain = new Judge(strangerFirst, () -> "chain, the stranger's certificate first");

        assertArrayEquals(alipay.keyPair().getPublic().getEncoded(), decode(alipayChain.keyOnce));
        assertArrayEquals(stranger.keyPair().getPublic().getEncoded(), decode(strangerChain.keyOnce));

        // fewer than in the random test: the chain changes only which key is taken, the signed content is the same
        for (int i = 0; i < 50; i++) {
            Map<String, String> params = generator.notification();
            Map<String, String> byAlipay = signer.signed(params, SIGN_TYPE);
            Map<String, String> byStranger = strangerSigner.signed(params, SIGN_TYPE);
            String charset = charsetOf(params);
            alipayChain.expect(true, "signed by the first", byAlipay, charset);
            alipayChain.expect(false, "signed by the follower", byStranger, charset);
            strangerChain.expect(true, "signed by the first", byStranger, charset);
            strangerChain.expect(false, "signed by the follower", byAlipay, charset);
        }
        alipayChain.report("chain, Alipay first");
        strangerChain.report("chain, stranger first");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The two ways of checking, and the judge that compares them
    // ---------------------------------------------------------------------------------------------------------------

    /** What the verifier does today: the SDK reads and parses the certificate file on every call. */
    static boolean certPerCall(Map<String, String> params, Path cert, String charset) {
        try {
            return AlipaySignature.rsaCertCheckV1(new HashMap<>(params), cert.toString(), charset, SIGN_TYPE);
        } catch (AlipayApiException | RuntimeException e) {
            return false; // as the verifier treats it: not verified
        }
    }

    /** The replacement: the key taken from the certificate once, handed to the key-mode check. */
    static boolean keyOnce(Map<String, String> params, String publicKeyBase64, String charset) {
        try {
            return AlipaySignature.rsaCheckV1(new HashMap<>(params), publicKeyBase64, charset, SIGN_TYPE);
        } catch (AlipayApiException | RuntimeException e) {
            return false;
        }
    }

    private static final class Judge {
        final Path cert;
        final String keyOnce;
        final Supplier<String> where;
        final Map<String, Integer> kinds = new TreeMap<>();
        int valid;
        int invalid;
        long certNanos;
        long keyNanos;

        Judge(Path cert, Supplier<String> where) throws AlipayApiException {
            this.cert = cert;
            this.where = where;
            // once per certificate file, as the new verifier will do (and again only when the file changes)
            this.keyOnce = AlipaySignature.getAlipayPublicKey(cert.toString());
        }

        void expect(boolean expected, String kind, Map<String, String> params, String charset) {
            long t0 = System.nanoTime();
            boolean perCall = certPerCall(params, cert, charset);
            long t1 = System.nanoTime();
            boolean once = keyOnce(params, keyOnce, charset);
            certNanos += t1 - t0;
            keyNanos += System.nanoTime() - t1;
            if (perCall != once) {
                fail("THE TWO CHECKS DISAGREE (" + where.get() + ", " + kind + "): rsaCertCheckV1=" + perCall
                        + ", rsaCheckV1 with the key taken once=" + once + ", charset " + charset + ", params "
                        + params);
            }
            assertEquals(expected, perCall, () -> "both checks say " + perCall + " where " + expected
                    + " was expected (" + where.get() + ", " + kind + "), charset " + charset + ", params " + params);
            kinds.merge(kind, 1, Integer::sum);
            if (expected) {
                valid++;
            } else {
                invalid++;
            }
        }

        void report(String what) {
            int n = valid + invalid;
            System.out.printf("VerificationEquivalenceTest [%s]: %d cases agreed (%d must verify, %d must fail);"
                            + " rsaCertCheckV1 %.0f us/call, rsaCheckV1 with the key taken once %.0f us/call%n",
                    what, n, valid, invalid, certNanos / 1e3 / n, keyNanos / 1e3 / n);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Random notifications and their twins
    // ---------------------------------------------------------------------------------------------------------------

    enum Mutation {
        // tampering: changes what the signature covers, or the signature itself; must fail
        CHANGE_VALUE, CHANGE_CASE, PLUS_AS_SPACE, ADD_FIELD, REMOVE_FIELD,
        CORRUPT_SIGN, TRUNCATE_SIGN, EMPTY_SIGN, MISSING_SIGN, SIGNED_BY_OTHER_KEY, SIGNED_AS_RSA_SHA1,
        // neutral: outside the signed content; must still verify
        RELABEL_SIGN_TYPE, DROP_SIGN_TYPE, ADD_BLANK_FIELD;

        static final List<Mutation> TAMPERING = List.of(CHANGE_VALUE, CHANGE_CASE, PLUS_AS_SPACE, ADD_FIELD,
                REMOVE_FIELD, CORRUPT_SIGN, TRUNCATE_SIGN, EMPTY_SIGN, MISSING_SIGN, SIGNED_BY_OTHER_KEY,
                SIGNED_AS_RSA_SHA1);
        static final List<Mutation> NEUTRAL = List.of(RELABEL_SIGN_TYPE, DROP_SIGN_TYPE, ADD_BLANK_FIELD);
    }

    record Twin(Mutation mutation, Map<String, String> params) {
    }

    /** The usual fields of a trade notification, as Alipay sends them (facts file), plus a few it added later. */
    private static final List<String> FIELDS = List.of("notify_time", "notify_type", "app_id", "version",
            "trade_no", "out_trade_no", "out_biz_no", "buyer_id", "buyer_logon_id", "seller_id", "seller_email",
            "trade_status", "total_amount", "receipt_amount", "invoice_amount", "buyer_pay_amount", "point_amount",
            "refund_fee", "subject", "body", "gmt_create", "gmt_payment", "gmt_refund", "gmt_close", "fund_bill_list",
            "passback_params", "voucher_detail_list", "auth_app_id", "buyer_open_id", "merchant_app_id");

    private static final int[] ASCII = cp("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    /** What form encoding and the SDK's k=v&k=v join could trip over. */
    private static final int[] SPECIAL = cp("+&=% +&=%?#/:;,.\"'[]{}@~-_*!\\");
    /** GB2312 text, including the ideographic space (blank to both signer and SDK) and full-width punctuation. */
    private static final int[] CHINESE = cp("测试商品支付宝订单退款中文套餐甲乙丙丁元角分语雀空间规模杭州上海北京会员年费　，。（）：“”");
    /** Only for utf-8 notifications: not encodable in GBK, or outside the BMP. */
    private static final int[] UTF8_ONLY = cp("€üßéñ한국어😀🧧\u00a0");
    private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    static {
        CharsetEncoder gbk = Charset.forName("gbk").newEncoder();
        for (int[] pool : List.of(ASCII, SPECIAL, CHINESE)) {
            if (!gbk.canEncode(new String(pool, 0, pool.length))) {
                throw new AssertionError("a gbk pool holds a character GBK cannot encode");
            }
        }
    }

    private static final class Generator {
        final Random random;
        /** How often each shape that matters occurred in the signed corpus, to assert it was really exercised. */
        final Map<String, Integer> shapes = new TreeMap<>();
        int serial;

        Generator(Random random) {
            this.random = random;
        }

        Map<String, String> notification() {
            String charset = pick(new String[] {"utf-8", "utf-8", "utf-8", "UTF-8", null, "gbk", "gbk", "gbk", "GBK"});
            boolean gbk = charset != null && charset.equalsIgnoreCase("gbk");
            List<String> fields = new ArrayList<>();
            for (String f : FIELDS) {
                if (random.nextBoolean()) {
                    fields.add(f);
                }
            }
            Map<String, String> p = new LinkedHashMap<>();
            // notify_id is always there and never blank, so every notification has a field a tampering can hit
            p.put("notify_id", "2026112500222" + String.format("%09d", ++serial));
            if (charset != null) {
                fields.add("charset");
            }
            Collections.shuffle(fields, random);
            for (String f : fields) {
                p.put(f, f.equals("charset") ? charset : value(f, gbk));
            }
            return p;
        }

        String value(String field, boolean gbk) {
            int r = random.nextInt(100);
            if (r < 6) {
                return "";
            }
            if (r < 9) {
                return pick(new String[] {" ", "  ", "\u3000", "\t", " \u3000 "}); // blank: not signed
            }
            if (r < 50) {
                return realistic(field, gbk);
            }
            if (r < 55) {
                return text(gbk, 300 + random.nextInt(1700));
            }
            return text(gbk, 1 + random.nextInt(30));
        }

        String realistic(String field, boolean gbk) {
            if (field.endsWith("_amount") || field.equals("refund_fee")) {
                return random.nextInt(100_000) + "." + String.format("%02d", random.nextInt(100));
            }
            if (field.startsWith("gmt_") || field.equals("notify_time")) {
                return String.format("2026-%02d-%02d %02d:%02d:%02d", 1 + random.nextInt(12), 1 + random.nextInt(28),
                        random.nextInt(24), random.nextInt(60), random.nextInt(60));
            }
            return switch (field) {
                case "trade_status" -> pick(new String[] {"TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED"});
                case "notify_type" -> "trade_status_sync";
                case "version" -> "1.0";
                case "fund_bill_list" -> "[{\"amount\":\"" + random.nextInt(1000) + ".00\",\"fundChannel\":\""
                        + pick(new String[] {"ALIPAYACCOUNT", "PCREDIT", "BANKCARD"}) + "\"}]";
                case "seller_email" -> "shop+" + random.nextInt(1000) + "@example.com";
                case "buyer_logon_id" -> "bu***@example.com";
                case "subject", "body" -> text(gbk, 2 + random.nextInt(20));
                case "passback_params" -> "a%3D1%26b%3D" + random.nextInt(100) + "&c=" + text(gbk, 5);
                default -> "20" + (100_000_000L + random.nextInt(900_000_000)) + random.nextInt(10_000);
            };
        }

        String text(boolean gbk, int length) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < length; i++) {
                int r = random.nextInt(100);
                int[] pool = r < 40 ? ASCII : r < 65 ? SPECIAL : r < 90 || gbk ? CHINESE : UTF8_ONLY;
                s.appendCodePoint(pool[random.nextInt(pool.length)]);
            }
            return s.toString();
        }

        void tally(Map<String, String> p) {
            count("gbk", charsetOf(p).equals("gbk"));
            count("utf-8", charsetOf(p).equals("utf-8"));
            count("no charset field", !p.containsKey("charset"));
            for (Map.Entry<String, String> e : p.entrySet()) {
                if (e.getKey().equals("sign") || e.getKey().equals("sign_type")) {
                    continue;
                }
                String v = e.getValue();
                count("empty value", v.isEmpty());
                count("blank value", !v.isEmpty() && v.isBlank());
                count("value > 300 chars", v.length() > 300);
                count("value with '+'", v.contains("+"));
                count("value with '&'", v.contains("&"));
                count("value with '='", v.contains("="));
                count("value with '%'", v.contains("%"));
                count("value with ' '", v.contains(" "));
                count("value with Chinese", v.codePoints().anyMatch(c -> Character.UnicodeScript.of(c)
                        == Character.UnicodeScript.HAN));
                count("value outside the BMP", v.codePoints().anyMatch(Character::isSupplementaryCodePoint));
            }
        }

        private void count(String shape, boolean seen) {
            shapes.merge(shape, seen ? 1 : 0, Integer::sum);
        }

        /** A twin made by one mutation from the list that applies to this notification. */
        Twin twin(Map<String, String> signed, List<Mutation> choices) {
            while (true) {
                Mutation m = choices.get(random.nextInt(choices.size()));
                Map<String, String> p = apply(m, signed);
                if (p != null) {
                    return new Twin(m, p);
                }
            }
        }

        /** The mutated copy, or null when the mutation does not apply (no value it could change). */
        Map<String, String> apply(Mutation m, Map<String, String> signed) {
            Map<String, String> p = new LinkedHashMap<>(signed);
            boolean gbk = charsetOf(signed).equals("gbk");
            String sign = signed.get("sign");
            switch (m) {
                case CHANGE_VALUE -> {
                    String key = pick(covered(p, v -> true));
                    String old = p.get(key);
                    String replacement;
                    if (key.equals("charset")) {
                        // the other accepted charset: the claim itself is signed
                        replacement = gbk ? "utf-8" : "gbk";
                    } else {
                        do {
                            replacement = text(gbk, 1 + random.nextInt(20));
                        } while (replacement.equals(old) || replacement.isBlank());
                    }
                    p.put(key, replacement);
                }
                case CHANGE_CASE -> {
                    String key = pick(covered(p, v -> !swapAsciiCase(v).equals(v)));
                    if (key == null) {
                        return null;
                    }
                    p.put(key, swapAsciiCase(p.get(key)));
                }
                case PLUS_AS_SPACE -> {
                    // the commonest framework damage: '+' (sent as %2B) decoded as a space
                    String key = pick(covered(p, v -> v.contains("+")));
                    if (key == null) {
                        return null;
                    }
                    p.put(key, p.get(key).replace('+', ' '));
                }
                case ADD_FIELD -> {
                    List<String> absent = new ArrayList<>(FIELDS);
                    absent.removeAll(p.keySet());
                    String key = absent.isEmpty() ? "extra_field" : pick(absent.toArray(String[]::new));
                    String value;
                    do {
                        value = value(key, gbk);
                    } while (value.isBlank());
                    p.put(key, value);
                }
                case REMOVE_FIELD -> p.remove(pick(covered(p, v -> true)));
                case CORRUPT_SIGN -> {
                    int position = random.nextInt(fullBase64Groups(sign));
                    p.put("sign", replaceChar(sign, position, otherBase64Char(sign.charAt(position),
                            random.nextInt(BASE64.length()))));
                }
                case TRUNCATE_SIGN -> p.put("sign", sign.substring(0, random.nextInt(fullBase64Groups(sign))));
                case EMPTY_SIGN -> p.put("sign", "");
                case MISSING_SIGN -> p.remove("sign");
                case SIGNED_BY_OTHER_KEY -> p.put("sign", strangerSigner.sign(p, "SHA256withRSA"));
                case SIGNED_AS_RSA_SHA1 -> {
                    // a genuine signature by the right key, but legacy RSA (SHA1) while RSA2 is configured
                    p.put("sign_type", "RSA");
                    p.put("sign", signer.sign(p, "SHA1withRSA"));
                }
                case RELABEL_SIGN_TYPE -> p.put("sign_type", pick(new String[] {"RSA", "rsa2", "SM2", ""}));
                case DROP_SIGN_TYPE -> p.remove("sign_type");
                case ADD_BLANK_FIELD -> {
                    List<String> absent = new ArrayList<>(FIELDS);
                    absent.removeAll(p.keySet());
                    String key = absent.isEmpty() ? "extra_field" : pick(absent.toArray(String[]::new));
                    p.put(key, pick(new String[] {"", " ", "\u3000", "\t"}));
                }
                default -> throw new AssertionError(m);
            }
            return p;
        }

        String pick(String[] choices) {
            return choices.length == 0 ? null : choices[random.nextInt(choices.length)];
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------------

    /** Keys whose value the SDK signs (not sign or sign_type, not blank) and that match the filter. */
    private static String[] covered(Map<String, String> p, java.util.function.Predicate<String> filter) {
        return p.keySet().stream().filter(k -> coveredBySignature(p, k) && filter.test(p.get(k)))
                .toArray(String[]::new);
    }

    private static boolean coveredBySignature(Map<String, String> p, String key) {
        return !key.equals("sign") && !key.equals("sign_type") && !p.get(key).isBlank();
    }

    /** The charset the parser would hand on for these fields: the claimed one in lower case, utf-8 if absent. */
    static String charsetOf(Map<String, String> p) {
        String c = p.get("charset");
        return c == null || c.isEmpty() ? "utf-8" : c.trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, String> with(Map<String, String> p, String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(p);
        copy.put(key, value);
        return copy;
    }

    private static Map<String, String> without(Map<String, String> p, String key) {
        Map<String, String> copy = new LinkedHashMap<>(p);
        copy.remove(key);
        return copy;
    }

    private static String swapAsciiCase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            b.append(c >= 'a' && c <= 'z' ? (char) (c - 32) : c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return b.toString();
    }

    /**
     * How many leading characters of the sign lie in complete, unpadded 4-character groups. In the last, padded group
     * some bits are unused, and the SDK's decoder does not insist on the padding: changing a character there, or
     * cutting the padding off, may decode to the very same signature, which would be no tampering at all.
     */
    private static int fullBase64Groups(String sign) {
        int padding = sign.indexOf('=');
        return (padding < 0 ? sign.length() : padding) / 4 * 4;
    }

    private static char otherBase64Char(char current, int seed) {
        char c = BASE64.charAt(Math.floorMod(seed, BASE64.length()));
        return c == current ? BASE64.charAt((BASE64.indexOf(c) + 1) % BASE64.length()) : c;
    }

    private static String replaceChar(String s, int position, char c) {
        return s.substring(0, position) + c + s.substring(position + 1);
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64);
    }

    private static int[] cp(String s) {
        return s.codePoints().toArray();
    }
}
