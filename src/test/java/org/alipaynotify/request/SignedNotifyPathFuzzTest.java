package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.InRange;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithSize;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.TradeStatus;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.ledger.OrderRow;
import org.alipaynotify.request.NotifyPathFuzzTest.InMemoryLedger;
import org.alipaynotify.request.NotifyPathFuzzTest.Sandbox;
import org.alipaynotify.request.NotifyPathFuzzTest.InMemoryLedger;
import org.alipaynotify.request.NotifyPathFuzzTest.Sandbox;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the signed paths of {@link NotifyPath#process(byte[], String)}: the fuzzer chooses two orders (amount, state,
 * paid) and a sequence of up to four deliveries (trade_status, total_amount, refund_fee, charset utf-8 or gbk, subject,
 * extra fields, notify_id out of a few, which order), each of which this test signs with the sandbox key (rule V1,
 * {@link AlipaySigner}), optionally tampers with after signing (up to three edits: a byte replaced, bytes inserted,
 * bytes deleted, a field added), and sends through the whole path into the in-memory ledger. See FUZZING.md.
 *
 * <p>Regression inputs: the {@link #seeds()}, and the findings in
 * {@code src/test/resources/org/alipaynotify/SignedNotifyPathFuzzTestInputs/signedDeliveries/} (Jazzer's encoding).
 *
 * <p>Properties, checked after every delivery:
 * <ul>
 *   <li>{@code process} throws nothing;
 *   <li>an acknowledged outcome (APPLIED, REFUND_RECORDED, LATE_PAYMENT, NO_CHANGE, DUPLICATE) only for a body whose
 *       signature is valid (checked with the JDK), whose total_amount equals the order's as a decimal, and, when the
 *       body was tampered with after signing, which decodes to the same signed fields as the body that was signed
 *       (the fields rule V1 signs: sign, sign_type and fields with an empty or blank key or value aside);
 *   <li>every value the checks hand to the ledger is one the signature covers (a field rule V1 leaves unsigned
 *       counts as absent);
 *   <li>a refused notification changes nothing; an accepted one changes its own order only;
 *   <li>no order's state goes backwards: WAIT_BUYER_PAY &lt; TRADE_SUCCESS &lt; TRADE_FINISHED, TRADE_CLOSED terminal
 *       except for the late payment of an order closed without payment (README, "State table"); the amount never
 *       changes, paid and needs_attention are never cleared, refund_fee never shrinks, known payment facts never
 *       change; each acknowledged outcome matches what happened to the row;
 *   <li>a well-formed, untampered notification for a known order is answered AMOUNT_MISMATCH (state unchanged) when
 *       its amount differs from the order's, and is acknowledged when it is equal.
 * </ul>
 */
class SignedNotifyPathFuzzTest {
    static final String[] ORDER_NOS = {"20261125-1001", "20261125-1002", "20261125-9999"};

    /** What BusinessChecker (and through it the ledger) reads; an extra field with one of these names is not clean. */
    private static final Set<String> CHECKED_FIELDS = Set.of("notify_type", "app_id", "seller_id", "trade_status",
            "notify_id", "notify_time", "out_trade_no", "trade_no", "total_amount", "buyer_id", "gmt_payment",
            "gmt_refund", "gmt_close", "refund_fee", "receipt_amount", "buyer_pay_amount", "out_biz_no");
    /** Fields this test always sets itself; an extra field never replaces them. */
    private static final Set<String> FIXED_FIELDS = Set.of("sign", "sign_type", "charset");
    /** Conservatively within the README's rule "yuan with at most 2 decimals" (and DECIMAL(12,2)). */
    private static final Pattern WELL_FORMED_AMOUNT = Pattern.compile("(0|[1-9][0-9]{0,8})(\\.[0-9]{1,2})?");
    private static final Set<Outcome> PATH_REFUSALS_BEFORE_CHECKS = EnumSet.of(Outcome.MALFORMED_BODY,
            Outcome.UNSUPPORTED_CHARSET, Outcome.SIGN_TYPE_MISMATCH, Outcome.BAD_SIGNATURE);

    enum StatusChoice { WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED, FUZZED }

    enum AmountChoice { AS_ORDERED, OTHER_SCALE, ONE_CENT_MORE, ONE_CENT_LESS, FUZZED }

    enum EditKind { REPLACE_BYTE, INSERT, DELETE, ADD_FIELD }

    /**
     * One change to the signed body: at {@code at} (modulo the length), replace the byte with the first char of
     * {@code bytes} (no chars: flip its lowest bit), insert the chars of {@code bytes} as bytes, or delete
     * 1 + {@code bytes.length()} bytes; or add a field at the end, {@code bytes} being {@code name=value} (encoded as
     * Alipay encodes, in the body's charset; no {@code =}: an empty value).
     */
    record Edit(@NotNull EditKind kind, int at, String bytes) {
    }

    /** An order as the merchant's table holds it before the first delivery. */
    record OrderSetup(@InRange(min = 0, max = 99_999_999_999L) long amountCents, @NotNull TradeStatus status,
            boolean paid) {
        OrderRow row(String outTradeNo) {
            return OrderRow.payable(outTradeNo, BigDecimal.valueOf(amountCents, 2))
                    .withStatus(status == null ? TradeStatus.WAIT_BUYER_PAY : status, paid);
        }
    }

    /**
     * One notification. {@code order}: 0 and 1 are the two orders, 2 an unknown one. {@code notifyId}: one of five,
     * so that redeliveries (and reused ids) happen. {@code fuzzedStatus}, {@code fuzzedAmount}: used when the choice
     * is FUZZED (null: the field is left out). {@code refundFee}: null leaves it out. {@code extra}: more fields, which
     * may replace the usual ones (not sign, sign_type, charset). {@code edits}: the tampering after signing, in
     * order (null or none: the body goes as signed).
     */
    record Delivery(@InRange(min = 0, max = 2) int order, @InRange(min = 0, max = 4) int notifyId,
            @NotNull StatusChoice status, String fuzzedStatus, @NotNull AmountChoice amount, String fuzzedAmount,
            String refundFee, boolean gbk, String subject, @WithSize(max = 3) Map<String, String> extra,
            @WithSize(max = 3) List<@NotNull Edit> edits) {
    }

    @BeforeAll
    static void regressionModeDefaults() {
        FormBodyParserFuzzTest.quietRegressionMode();
    }

    /** Tokens for the fuzzer: field names, charsets, states, escapes (and blanks). */
    @DictionaryEntries({"notify_time=", "notify_type=", "notify_id=", "app_id=", "charset=", "version=", "sign_type=",
            "sign=", "trade_no=", "out_trade_no=", "out_biz_no=", "buyer_id=", "buyer_logon_id=", "seller_id=",
            "seller_email=", "trade_status=", "total_amount=", "receipt_amount=", "invoice_amount=",
            "buyer_pay_amount=", "point_amount=", "refund_fee=", "subject=", "body=", "gmt_create=", "gmt_payment=",
            "gmt_refund=", "gmt_close=", "fund_bill_list=", "passback_params=", "auth_app_id=", "notify_time",
            "notify_type", "notify_id", "app_id", "charset", "version", "sign_type", "sign", "trade_no",
            "out_trade_no", "out_biz_no", "buyer_id", "buyer_logon_id", "seller_id", "seller_email", "trade_status",
            "total_amount", "receipt_amount", "invoice_amount", "buyer_pay_amount", "point_amount", "refund_fee",
            "subject", "body", "gmt_create", "gmt_payment", "gmt_refund", "gmt_close", "fund_bill_list",
            "passback_params", "auth_app_id", " ", "\t", "\u3000", "\013", "TRADE_SUCCESS", "TRADE_FINISHED",
            "TRADE_CLOSED", "WAIT_BUYER_PAY", "0.01", "88.8", "100"})
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "4m")
    void signedDeliveries(@NotNull OrderSetup first, @NotNull OrderSetup second,
            @NotNull @WithSize(min = 1, max = 4) List<@NotNull Delivery> deliveries) {
        if (first == null || second == null || deliveries == null) {
            return; // @NotNull is honoured on a best-effort basis only
        }
        InMemoryLedger ledger = new InMemoryLedger();
        ledger.put(first.row(ORDER_NOS[0]));
        ledger.put(second.row(ORDER_NOS[1]));
        NotifyPath path = Sandbox.path(ledger);
        for (Delivery d : deliveries) {
            if (d != null) {
                deliver(path, ledger, d);
            }
        }
    }

    private static void deliver(NotifyPath path, InMemoryLedger ledger, Delivery d) {
        String outTradeNo = ORDER_NOS[Math.floorMod(d.order(), ORDER_NOS.length)]; // @InRange is best-effort too
        OrderRow orderBefore = ledger.order(outTradeNo);
        BigDecimal reference = orderBefore != null ? orderBefore.totalAmount() : ledger.order(ORDER_NOS[0])
                .totalAmount();
        Map<String, String> params = params(d, outTradeNo, reference);
        Map<String, String> signed = sign(params);
        byte[] body = AlipaySigner.formBody(signed);
        byte[] delivered = tamper(body, d);
        boolean tampered = !Arrays.equals(body, delivered);

        NotifyForm original = parseOrNull(body);
        Map<String, OrderRow> before = ledger.snapshot();
        int receivedBefore = ledger.received().size();
        String notifyId = signed.get("notify_id");
        boolean recordedBefore = notifyId != null && ledger.recorded(notifyId);

        NotifyPath.Result result;
        try {
            result = path.process(delivered, NotifyPathFuzzTest.REMOTE);
        } catch (RuntimeException | Error e) {
            throw new AssertionError("NotifyPath.process threw " + e, e);
        }
        assertNotNull(result);
        Outcome outcome = result.outcome();
        assertNotNull(outcome, "no outcome");
        String what = outcome + " (" + result.reason() + ") for " + d;
        Map<String, OrderRow> after = ledger.snapshot();

        // Who may get an acknowledged answer.
        if (outcome.acknowledged()) {
            assertTrue(Sandbox.carriesValidSignature(delivered), "acknowledged without a valid signature: " + what);
            NotifyForm form = result.form();
            assertNotNull(form, what);
            if (tampered) {
                assertNotNull(original, "acknowledged a tampered copy of a body that does not parse: " + what);
                Map<String, String> signedMeaning = Sandbox.signedFields(original.fields());
                Map<String, String> deliveredMeaning = Sandbox.signedFields(form.fields());
                if (!signedMeaning.equals(deliveredMeaning)) {
                    fail("acknowledged a body tampered with after signing, which decodes to other fields ("
                            + difference(signedMeaning, deliveredMeaning) + "): " + what);
                }
            }
            OrderRow order = before.get(form.get("out_trade_no"));
            assertNotNull(order, "acknowledged a notification for an unknown order: " + what);
            assertNotNull(form.get("total_amount"), "acknowledged without total_amount: " + what);
            assertEquals(0, order.totalAmount().compareTo(new BigDecimal(form.get("total_amount"))),
                    "acknowledged a total_amount that differs from the order's: " + what);
            assertTrue(ledger.recorded(form.get("notify_id")), "acknowledged, notify_id not recorded: " + what);
        } else {
            assertEquals(before, after, "a refused notification changed an order: " + what);
            if (notifyId != null && !recordedBefore && !tampered) {
                assertTrue(!ledger.recorded(notifyId), "a refused notification was recorded: " + what);
            }
        }

        // What reaches the ledger is what was signed.
        List<Notification> handed = ledger.received().subList(receivedBefore, ledger.received().size());
        assertTrue(handed.size() <= 1, "the ledger was called " + handed.size() + " times: " + what);
        for (Notification n : handed) {
            assertNotNull(result.form(), what);
            checkSigned(n, Sandbox.signedFields(result.form().fields()), what);
        }

        // No order goes backwards; the outcome matches what happened to the row.
        for (Map.Entry<String, OrderRow> e : before.entrySet()) {
            OrderRow was = e.getValue();
            OrderRow now = after.get(e.getKey());
            boolean target = outcome.acknowledged() && result.form() != null
                    && e.getKey().equals(result.form().get("out_trade_no"));
            if (!target) {
                assertEquals(was, now, "an order the notification is not for changed: " + what);
                continue;
            }
            checkMove(was, now, outcome, recordedBefore && !tampered, what);
        }
        assertEquals(before.keySet(), after.keySet(), "orders appeared or vanished: " + what);

        // A well-formed, untampered notification: verification and checks pass, the amount decides.
        if (!tampered && original != null && original.fields().equals(signed) && noBlankButNonEmpty(signed)) {
            assertTrue(!PATH_REFUSALS_BEFORE_CHECKS.contains(outcome),
                    "a body signed with the sandbox key was refused before the checks: " + what);
            if (clean(d, params, orderBefore)) {
                boolean sameAmount = orderBefore.totalAmount().compareTo(new BigDecimal(params.get("total_amount")))
                        == 0;
                if (sameAmount) {
                    assertTrue(outcome.acknowledged(), "a clean notification with the order's amount: " + what);
                } else {
                    assertEquals(Outcome.AMOUNT_MISMATCH, outcome, "a clean notification with another amount: "
                            + what);
                    assertEquals(before, after);
                }
            }
        }
    }

    /**
     * Every value the checks hand to the ledger comes from a field rule V1 signed ({@code signed}): a field the
     * signature does not cover (empty or blank key or value) must count as absent.
     */
    private static void checkSigned(Notification n, Map<String, String> signed, String what) {
        Object[][] read = {{"notify_id", n.notifyId()}, {"out_trade_no", n.outTradeNo()}, {"trade_no", n.tradeNo()},
                {"trade_status", n.tradeStatus() == null ? null : n.tradeStatus().name()},
                {"seller_id", n.sellerId()}, {"buyer_id", n.buyerId()}, {"out_biz_no", n.outBizNo()},
                {"total_amount", n.totalAmount()}, {"refund_fee", n.refundFee()},
                {"receipt_amount", n.receiptAmount()}, {"buyer_pay_amount", n.buyerPayAmount()},
                {"notify_time", n.notifyTime()}, {"gmt_payment", n.gmtPayment()}, {"gmt_refund", n.gmtRefund()},
                {"gmt_close", n.gmtClose()}};
        for (Object[] field : read) {
            String name = (String) field[0];
            Object value = field[1];
            if (value == null) {
                continue;
            }
            String signedValue = signed.get(name);
            if (signedValue == null) {
                fail("the ledger got " + name + " " + quote(String.valueOf(value)) + ", which the signature does not"
                        + " cover: " + what);
            }
            if (value instanceof String) {
                assertEquals(signedValue, value, name + ": " + what);
            } else if (value instanceof BigDecimal) {
                assertEquals(0, new BigDecimal(signedValue).compareTo((BigDecimal) value), name + ": " + what);
            }
        }
    }

    /** The state table's guarantees, for the order the acknowledged notification was for. */
    private static void checkMove(OrderRow was, OrderRow now, Outcome outcome, boolean redelivery, String what) {
        assertNotNull(now, what);
        assertEquals(0, was.totalAmount().compareTo(now.totalAmount()), "the order's amount changed: " + what);
        assertTrue(!was.paid() || now.paid(), "paid was cleared: " + what);
        assertTrue(!was.needsAttention() || now.needsAttention(), "needs_attention was cleared: " + what);
        if (was.refundFee() != null) {
            assertTrue(now.refundFee() != null && now.refundFee().compareTo(was.refundFee()) >= 0,
                    "refund_fee shrank: " + what);
        }
        for (Object[] fact : new Object[][] {{"trade_no", was.tradeNo(), now.tradeNo()},
                {"buyer_id", was.buyerId(), now.buyerId()}, {"seller_id", was.sellerId(), now.sellerId()},
                {"gmt_payment", was.gmtPayment(), now.gmtPayment()},
                {"receipt_amount", was.receiptAmount(), now.receiptAmount()},
                {"buyer_pay_amount", was.buyerPayAmount(), now.buyerPayAmount()},
                {"gmt_close", was.gmtClose(), now.gmtClose()}}) {
            if (fact[1] != null) {
                assertEquals(fact[1], fact[2], "a known " + fact[0] + " changed: " + what);
            }
        }
        TradeStatus from = was.tradeStatus();
        TradeStatus to = now.tradeStatus();
        assertTrue(allowed(from, to, was.paid(), outcome), "state went from " + from + " to " + to + ": " + what);
        switch (outcome) {
            case APPLIED:
                assertTrue(from != to, "APPLIED without a change of state: " + what);
                break;
            case REFUND_RECORDED:
                assertEquals(from, to, what);
                assertTrue(now.refundFee() != null
                        && (was.refundFee() == null || now.refundFee().compareTo(was.refundFee()) > 0),
                        "REFUND_RECORDED without a larger refund: " + what);
                break;
            case NO_CHANGE:
                assertEquals(from, to, "NO_CHANGE changed the state: " + what);
                break;
            case DUPLICATE:
                assertEquals(was, now, "DUPLICATE changed the order: " + what);
                break;
            case LATE_PAYMENT:
                assertTrue(from == TradeStatus.TRADE_CLOSED && !was.paid() && to.isPaid() && now.paid()
                        && now.needsAttention(), "LATE_PAYMENT: " + what);
                break;
            default:
                fail("not an acknowledged outcome: " + what);
        }
        if (redelivery) {
            assertEquals(Outcome.DUPLICATE, outcome, "a notify_id already recorded was applied again: " + what);
        }
        if (from != to && to.isPaid()) {
            assertTrue(now.paid(), "moved to " + to + " without paid: " + what);
        }
    }

    /** README, "State table": never backwards; TRADE_CLOSED terminal except the late payment. */
    static boolean allowed(TradeStatus from, TradeStatus to, boolean paidBefore, Outcome outcome) {
        if (from == to) {
            return true;
        }
        switch (from) {
            case WAIT_BUYER_PAY:
                return true;
            case TRADE_SUCCESS:
                return to == TradeStatus.TRADE_FINISHED || to == TradeStatus.TRADE_CLOSED;
            case TRADE_CLOSED:
                return !paidBefore && to.isPaid() && outcome == Outcome.LATE_PAYMENT;
            default:
                return false;
        }
    }

    /** What differs between two field maps, e.g. {@code passback_params: "" -> " "}. */
    static String difference(Map<String, String> was, Map<String, String> now) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(was.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            String a = was.get(k);
            String b = now.get(k);
            if (!Objects.equals(a, b)) {
                out.add(quote(k) + ": " + quote(a) + " -> " + quote(b));
            }
        }
        return String.join(", ", out);
    }

    /** Quoted, at most 40 chars, with control and whitespace chars other than the space written as \\uXXXX. */
    private static String quote(String v) {
        if (v == null) {
            return "absent";
        }
        StringBuilder b = new StringBuilder("\"");
        v.codePoints().limit(40).forEach(c -> {
            if (c != ' ' && (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c))) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(v.codePointCount(0, v.length()) > 40 ? "...\"" : "\"").toString();
    }

    /**
     * {@link AlipaySigner} signs a blank (whitespace-only) key or value; the SDK, like Alipay, leaves it out of the
     * signed content, so such a body does not verify. See FUZZING.md, "Findings".
     */
    private static boolean noBlankButNonEmpty(Map<String, String> params) {
        return params.entrySet().stream().noneMatch(e -> (!e.getKey().isEmpty() && e.getKey().isBlank())
                || (!e.getValue().isEmpty() && e.getValue().isBlank()));
    }

    /** Nothing but the amount can stop it: a known order and status, well-formed amounts, no checked field replaced. */
    private static boolean clean(Delivery d, Map<String, String> params, OrderRow order) {
        if (order == null || d.status() == null || d.status() == StatusChoice.FUZZED) {
            return false;
        }
        if (d.extra() != null && d.extra().keySet().stream().anyMatch(k -> k != null && CHECKED_FIELDS.contains(k))) {
            return false;
        }
        String amount = params.get("total_amount");
        String refund = params.get("refund_fee");
        return amount != null && WELL_FORMED_AMOUNT.matcher(amount).matches()
                && (refund == null || refund.isEmpty() || WELL_FORMED_AMOUNT.matcher(refund).matches());
    }

    /** A realistic trade_status_sync notification, in the order of fields Alipay sends. */
    static Map<String, String> params(Delivery d, String outTradeNo, BigDecimal orderAmount) {
        String status = d.status() == null || d.status() == StatusChoice.FUZZED ? d.fuzzedStatus() : d.status().name();
        String amount;
        switch (d.amount() == null ? AmountChoice.FUZZED : d.amount()) {
            case AS_ORDERED: amount = orderAmount.toPlainString(); break;
            case OTHER_SCALE: amount = orderAmount.stripTrailingZeros().toPlainString(); break;
            case ONE_CENT_MORE: amount = orderAmount.add(new BigDecimal("0.01")).toPlainString(); break;
            case ONE_CENT_LESS: amount = orderAmount.subtract(new BigDecimal("0.01")).toPlainString(); break;
            default: amount = d.fuzzedAmount(); break;
        }
        String charset = d.gbk() ? "gbk" : "utf-8";
        String id = String.format("2026112500222%05d", d.notifyId());
        Map<String, String> p = new LinkedHashMap<>();
        p.put("gmt_create", "2026-11-25 10:00:00");
        p.put("charset", charset);
        p.put("seller_email", "shop@example.com");
        if (d.subject() != null) {
            p.put("subject", d.subject());
        }
        p.put("buyer_id", "2088102000000001");
        if (amount != null) {
            p.put("invoice_amount", amount);
        }
        p.put("notify_id", id);
        p.put("fund_bill_list", "[{\"amount\":\"" + orderAmount.toPlainString()
                + "\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
        p.put("notify_type", "trade_status_sync");
        if (status != null) {
            p.put("trade_status", status);
        }
        p.put("receipt_amount", orderAmount.toPlainString());
        p.put("buyer_pay_amount", orderAmount.toPlainString());
        p.put("app_id", NotifyPathFuzzTest.APP_ID);
        p.put("seller_id", SandboxKeys.PID);
        boolean paid = "TRADE_SUCCESS".equals(status) || "TRADE_FINISHED".equals(status);
        if (paid || d.refundFee() != null) {
            p.put("gmt_payment", "2026-11-25 10:00:05");
        }
        p.put("notify_time", "2026-11-25 10:00:06");
        p.put("version", "1.0");
        p.put("out_trade_no", outTradeNo);
        if (amount != null) {
            p.put("total_amount", amount);
        }
        p.put("trade_no", "20261125220014" + outTradeNo.replace("-", ""));
        p.put("auth_app_id", NotifyPathFuzzTest.APP_ID);
        p.put("buyer_logon_id", "bu***@example.com");
        p.put("point_amount", "0.00");
        if (d.refundFee() != null) {
            p.put("refund_fee", d.refundFee());
            p.put("gmt_refund", "2026-11-26 09:00:00.000");
            p.put("out_biz_no", "refund-" + d.notifyId());
        }
        if ("TRADE_CLOSED".equals(status)) {
            p.put("gmt_close", "2026-11-27 10:00:00");
        }
        if (d.extra() != null) {
            d.extra().forEach((k, v) -> {
                if (k != null && v != null && !FIXED_FIELDS.contains(k)) {
                    p.put(k, v);
                }
            });
        }
        return p;
    }

    /** Signatures already made, by charset and signed content: RSA signing is deterministic and the slowest step. */
    private static final Map<String, String> SIGNATURES = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 4096;
        }
    };

    /** {@code Sandbox.SIGNER.signed(params)} (RSA2), remembering signatures for contents signed before. */
    static synchronized Map<String, String> sign(Map<String, String> params) {
        String key = params.getOrDefault("charset", "utf-8") + "\n" + AlipaySigner.signContent(params);
        String sign = SIGNATURES.get(key);
        if (sign == null) {
            Map<String, String> signed = Sandbox.SIGNER.signed(params);
            SIGNATURES.put(key, signed.get("sign"));
            return signed;
        }
        Map<String, String> out = new LinkedHashMap<>(params);
        out.remove("sign");
        out.remove("sign_type");
        out.put("sign_type", "RSA2");
        out.put("sign", sign);
        return out;
    }

    static byte[] tamper(byte[] body, Delivery d) {
        byte[] out = body;
        if (d.edits() != null) {
            for (Edit e : d.edits()) {
                if (e != null && e.kind() != null) {
                    out = edit(out, e, d.gbk() ? "gbk" : "utf-8");
                }
            }
        }
        return out;
    }

    static byte[] edit(byte[] body, Edit e, String charset) {
        String s = e.bytes() == null ? "" : e.bytes();
        if (e.kind() == EditKind.ADD_FIELD) {
            int eq = s.indexOf('=');
            Charset cs = Charset.forName(charset);
            String name = URLEncoder.encode(eq < 0 ? s : s.substring(0, eq), cs);
            String value = URLEncoder.encode(eq < 0 ? "" : s.substring(eq + 1), cs);
            byte[] tail = ("&" + name + "=" + value).getBytes(StandardCharsets.US_ASCII);
            byte[] out = Arrays.copyOf(body, body.length + tail.length);
            System.arraycopy(tail, 0, out, body.length, tail.length);
            return out;
        }
        if (body.length == 0 && e.kind() != EditKind.INSERT) {
            return body;
        }
        switch (e.kind()) {
            case REPLACE_BYTE: {
                byte[] out = body.clone();
                int at = Math.floorMod(e.at(), out.length);
                out[at] = s.isEmpty() ? (byte) (out[at] ^ 0x01) : (byte) s.charAt(0);
                return out;
            }
            case INSERT: {
                int at = Math.floorMod(e.at(), body.length + 1);
                byte[] insert = new byte[s.length()];
                for (int i = 0; i < insert.length; i++) {
                    insert[i] = (byte) s.charAt(i);
                }
                byte[] out = new byte[body.length + insert.length];
                System.arraycopy(body, 0, out, 0, at);
                System.arraycopy(insert, 0, out, at, insert.length);
                System.arraycopy(body, at, out, at + insert.length, body.length - at);
                return out;
            }
            default: {
                int at = Math.floorMod(e.at(), body.length);
                int n = Math.min(1 + s.length(), body.length - at);
                byte[] out = new byte[body.length - n];
                System.arraycopy(body, 0, out, 0, at);
                System.arraycopy(body, at + n, out, at, body.length - at - n);
                return out;
            }
        }
    }

    private static NotifyForm parseOrNull(byte[] body) {
        try {
            return FormBodyParser.parse(body);
        } catch (Refused refused) {
            return null;
        }
    }

    private static Delivery pay(int order, int notifyId, StatusChoice status, AmountChoice amount, boolean gbk,
            String subject) {
        return new Delivery(order, notifyId, status, null, amount, null, null, gbk, subject, null, null);
    }

    private static Delivery refund(int notifyId, StatusChoice status, String refundFee, boolean gbk) {
        return new Delivery(0, notifyId, status, null, AmountChoice.AS_ORDERED, null, refundFee, gbk, "退款测试", null,
                null);
    }

    private static Delivery tampered(int notifyId, boolean gbk, Map<String, String> extra, Edit... edits) {
        return new Delivery(0, notifyId, StatusChoice.TRADE_SUCCESS, null, AmountChoice.AS_ORDERED, null, null, gbk,
                "篡改 tamper", extra, List.of(edits));
    }

    private static OrderSetup order(String amount, TradeStatus status, boolean paid) {
        return new OrderSetup(new BigDecimal(amount).movePointRight(2).longValueExact(), status, paid);
    }

    /** Where {@code marker} ends in the body of this delivery (before sign_type and sign, which come last). */
    private static int after(OrderSetup order, Delivery d, String marker) {
        byte[] unsigned = AlipaySigner.formBody(params(d, ORDER_NOS[d.order()], BigDecimal.valueOf(order.amountCents(),
                2)));
        int at = new String(unsigned, StandardCharsets.US_ASCII).indexOf(marker);
        if (at < 0) {
            throw new IllegalStateException(marker);
        }
        return at + marker.length();
    }

    /** Seeds: the fuzzer starts from these, and regression mode runs them. */
    static Stream<Arguments> seeds() {
        OrderSetup waiting = order("88.80", TradeStatus.WAIT_BUYER_PAY, false);
        OrderSetup other = order("0.01", TradeStatus.WAIT_BUYER_PAY, false);
        List<Arguments> seeds = new ArrayList<>();
        // paid (utf-8), then finished (amount written 88.8), then the first notification again
        seeds.add(Arguments.of(waiting, other, List.of(
                pay(0, 0, StatusChoice.TRADE_SUCCESS, AmountChoice.AS_ORDERED, false, "测试商品 A+B 套餐"),
                pay(0, 1, StatusChoice.TRADE_FINISHED, AmountChoice.OTHER_SCALE, false, "测试商品 A+B 套餐"),
                pay(0, 0, StatusChoice.TRADE_SUCCESS, AmountChoice.AS_ORDERED, false, "测试商品 A+B 套餐"))));
        // gbk, the second order, amount written 66.6 for 66.60
        seeds.add(Arguments.of(waiting, order("66.60", TradeStatus.WAIT_BUYER_PAY, false), List.of(
                pay(1, 2, StatusChoice.TRADE_SUCCESS, AmountChoice.OTHER_SCALE, true, "龙井茶 500g 礼盒"))));
        // partial refunds (cumulative), a smaller one late (gbk), then the full refund closes the order
        seeds.add(Arguments.of(order("100.00", TradeStatus.TRADE_SUCCESS, true), other, List.of(
                refund(1, StatusChoice.TRADE_SUCCESS, "30.00", false),
                refund(2, StatusChoice.TRADE_SUCCESS, "20.00", true),
                refund(3, StatusChoice.TRADE_CLOSED, "100.00", false))));
        // paid after the order was closed locally without payment
        seeds.add(Arguments.of(order("5.00", TradeStatus.TRADE_CLOSED, false), other, List.of(
                pay(0, 0, StatusChoice.TRADE_SUCCESS, AmountChoice.AS_ORDERED, false, "late"))));
        // amounts: one cent more, a malformed one, then an unknown order, then the right amount
        seeds.add(Arguments.of(waiting, other, List.of(
                pay(1, 0, StatusChoice.TRADE_SUCCESS, AmountChoice.ONE_CENT_MORE, false, "amount"),
                new Delivery(1, 1, StatusChoice.TRADE_SUCCESS, null, AmountChoice.FUZZED, "0.010", null, false,
                        "amount", null, null),
                pay(2, 2, StatusChoice.TRADE_SUCCESS, AmountChoice.AS_ORDERED, false, "unknown order"),
                pay(1, 3, StatusChoice.TRADE_SUCCESS, AmountChoice.AS_ORDERED, false, "amount"))));
        // tampered after signing: the amount's first digit replaced, bytes inserted into an empty value, bytes
        // deleted, a percent escape written in lower case (same fields); extra fields, one of them empty
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("passback_params", "");
        extra.put("merchant_app_id", NotifyPathFuzzTest.APP_ID);
        Delivery probe = tampered(0, false, extra);
        int amount = after(waiting, probe, "&total_amount=");
        int empty = after(waiting, probe, "&passback_params=");
        int status = after(waiting, probe, "&trade_status=TRADE_");
        int escape = after(waiting, probe, "gmt_create=2026-11-25+10%3");
        seeds.add(Arguments.of(waiting, other, List.of(
                tampered(0, false, extra, new Edit(EditKind.REPLACE_BYTE, amount, "9")),
                tampered(1, false, extra, new Edit(EditKind.INSERT, empty, "x")),
                tampered(2, true, extra, new Edit(EditKind.DELETE, status, "")),
                tampered(3, false, extra, new Edit(EditKind.REPLACE_BYTE, escape, "a")))));
        // fields added after signing (as hostile-corpus entries 127 and 128): one with a value, two empty ones
        seeds.add(Arguments.of(waiting, other, List.of(
                tampered(0, false, null, new Edit(EditKind.ADD_FIELD, 0, "refund_fee=88.80")),
                tampered(1, true, null, new Edit(EditKind.ADD_FIELD, 0, "refund_fee=")),
                tampered(2, false, null, new Edit(EditKind.ADD_FIELD, 0, "out_biz_no=")))));
        // a fuzzed trade_status, and an extra field replacing app_id
        seeds.add(Arguments.of(waiting, other, List.of(
                new Delivery(0, 0, StatusChoice.FUZZED, "TRADE_PENDING", AmountChoice.AS_ORDERED, null, null, false,
                        "status", null, null),
                new Delivery(0, 1, StatusChoice.TRADE_SUCCESS, null, AmountChoice.AS_ORDERED, null, null, false,
                        "app", Map.of("app_id", "2021000000000002"), null))));
        return seeds.stream();
    }
}
