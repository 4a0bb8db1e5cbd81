package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.math.BigDecimal;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.alipaynotify.Ledger;
import org.alipaynotify.keys.Apps;
import org.alipaynotify.keys.App;
import org.alipaynotify.Notification;
import org.alipaynotify.Outcome;
import org.alipaynotify.Refused;
import org.alipaynotify.TradeStatus;
import org.alipaynotify.config.Settings;
import org.alipaynotify.dev.AlipaySigner;
import org.alipaynotify.dev.SandboxKeys;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.keys.KeySource;
import org.alipaynotify.ledger.OrderRow;
import org.alipaynotify.ledger.TradeTransition;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the whole verification-and-checking path, {@link NotifyPath#process(byte[], String)}, with raw bodies from a
 * fuzzer that does not know the private key, against an in-memory {@link Ledger} holding a few orders. See
 * FUZZING.md.
 *
 * <p>Properties, checked on every input:
 * <ul>
 *   <li>{@code process} throws nothing and always names an outcome; the parser's outcomes (and only they) come with no
 *       form, and a form keeps the exact bytes received;
 *   <li>unless the body carries a valid signature by the sandbox key (checked here independently of the SDK, with the
 *       JDK), the outcome is not an acknowledged one, the ledger is never reached, and no order changes: a fuzzer
 *       without the private key never gets an order paid.
 * </ul>
 *
 * <p>Regression inputs (raw bodies):
 * {@code src/test/resources/org/alipaynotify/NotifyPathFuzzTestInputs/unsignedBody/}.
 * The signed paths are explored by {@link SignedNotifyPathFuzzTest}. This class also holds what both share: the
 * sandbox key pair (made once per JVM) and the in-memory ledger.
 */
class NotifyPathFuzzTest {
    static final String APP_ID = "2021000000000001";
    static final String REMOTE = "203.0.113.7";

    @BeforeAll
    static void regressionModeDefaults() {
        FormBodyParserFuzzTest.quietRegressionMode();
    }

    /** Tokens for the fuzzer: field names, charsets, states, escapes (shared with the other raw-body target). */
    @DictionaryFile(resourcePath = "notify-body.dict")
    @FuzzTest(maxDuration = "4m")
    void unsignedBody(byte[] body) {
        InMemoryLedger ledger = InMemoryLedger.withDemoOrders();
        Map<String, OrderRow> before = ledger.snapshot();
        NotifyPath.Result result;
        try {
            result = Sandbox.path(ledger).process(body, REMOTE);
        } catch (RuntimeException | Error e) {
            throw new AssertionError("NotifyPath.process threw " + e, e);
        }

        assertNotNull(result, "no result");
        assertNotNull(result.outcome(), "no outcome");
        assertEquals(FormBodyParserFuzzTest.PARSER_REFUSALS.contains(result.outcome()), result.form() == null,
                "outcome " + result.outcome() + " with form " + result.form());
        if (result.form() != null) {
            assertArrayEquals(body, result.form().rawBody(), "the form does not keep the body as received");
        }
        if (result.outcome().acknowledged() || ledger.calls() > 0 || !ledger.snapshot().equals(before)) {
            assertTrue(Sandbox.carriesValidSignature(body), "outcome " + result.outcome() + " (" + result.reason()
                    + "), ledger called " + ledger.calls() + " times, for a body not signed by the sandbox key");
        }
    }

    /** The sandbox "Alipay" key pair, made once per JVM, and the path configured to trust it (public-key mode). */
    static final class Sandbox {
        static final SandboxKeys KEYS = SandboxKeys.generate();
        static final AlipaySigner SIGNER = new AlipaySigner(KEYS.keyPair().getPrivate());
        static final SignatureVerifier VERIFIER = new SignatureVerifier(Apps.of(App.fixed(APP_ID,
                Set.of(SandboxKeys.PID), Settings.SignType.RSA2,
                AlipayKey.fromPublicKey(Settings.PUBLIC_KEY, KEYS.publicKeyBase64()))));
        static final BusinessChecker CHECKER = new BusinessChecker();

        private Sandbox() {
        }

        static NotifyPath path(Ledger ledger) {
            return new NotifyPath(VERIFIER, CHECKER, ledger);
        }

        /**
         * Rule V1, checked with the JDK rather than the SDK: every field except sign and sign_type whose key and
         * value are not blank, sorted, {@code k=v} joined by {@code &}, in the body's charset, SHA256withRSA.
         */
        static boolean carriesValidSignature(byte[] body) {
            NotifyForm form;
            try {
                form = FormBodyParser.parse(body);
            } catch (Refused refused) {
                return false;
            }
            String sign = form.get("sign");
            if (sign == null) {
                return false;
            }
            try {
                byte[] signature = Base64.getDecoder().decode(sign.replaceAll("[^A-Za-z0-9+/=]", ""));
                Signature s = Signature.getInstance("SHA256withRSA");
                s.initVerify((PublicKey) KEYS.keyPair().getPublic());
                s.update(v1Content(form.fields()).getBytes(form.charset()));
                return s.verify(signature);
            } catch (IllegalArgumentException | GeneralSecurityException e) {
                return false;
            }
        }

        /** The signed content of rule V1 as the SDK and Alipay build it. */
        static String v1Content(Map<String, String> fields) {
            return AlipaySigner.signContent(signedFields(fields));
        }

        /**
         * The fields rule V1 signs, as the SDK and Alipay choose them: all but sign and sign_type, leaving out those
         * whose key or value is empty or blank (whitespace only: the SDK's {@code StringUtils.areNotEmpty}).
         */
        static Map<String, String> signedFields(Map<String, String> fields) {
            Map<String, String> kept = new LinkedHashMap<>();
            fields.forEach((k, v) -> {
                if (!k.equals("sign") && !k.equals("sign_type") && !k.isBlank() && !v.isBlank()) {
                    kept.put(k, v);
                }
            });
            return kept;
        }
    }

    /**
     * The ledger's contract, in memory: unknown order: UNKNOWN_ORDER; total_amount compared as a decimal:
     * AMOUNT_MISMATCH; a notify_id already recorded (for any order): DUPLICATE, nothing changed; else the state table
     * ({@link TradeTransition}) is applied and the notify_id recorded. Checks in the same order as {@link TradeLedger}.
     * Single-threaded: one instance per fuzz input.
     */
    static final class InMemoryLedger implements Ledger {
        private final Map<String, OrderRow> orders = new LinkedHashMap<>();
        private final Map<String, Outcome> notifyIds = new HashMap<>();
        private final List<Notification> received = new ArrayList<>();
        private int calls;

        static InMemoryLedger withDemoOrders() {
            InMemoryLedger ledger = new InMemoryLedger();
            ledger.put(OrderRow.payable("20261125-0001", new BigDecimal("88.80")));
            ledger.put(OrderRow.payable("20261125-0002", new BigDecimal("0.01")));
            ledger.put(OrderRow.payable("20261125-0003", new BigDecimal("1999.00")));
            ledger.put(OrderRow.payable("20261125-0004", new BigDecimal("66.60")).withStatus(TradeStatus.TRADE_CLOSED,
                    false));
            ledger.put(OrderRow.payable("20261125-0005", new BigDecimal("100.00")).withStatus(TradeStatus.TRADE_SUCCESS,
                    true));
            return ledger;
        }

        void put(OrderRow row) {
            orders.put(row.outTradeNo(), row);
        }

        OrderRow order(String outTradeNo) {
            return orders.get(outTradeNo);
        }

        Map<String, OrderRow> snapshot() {
            return new LinkedHashMap<>(orders);
        }

        boolean recorded(String notifyId) {
            return notifyIds.containsKey(notifyId);
        }

        int calls() {
            return calls;
        }

        /** Every notification handed to {@link #apply}, in order. */
        List<Notification> received() {
            return received;
        }

        @Override
        public Applied apply(Notification n, String remoteAddr) throws Refused {
            calls++;
            received.add(n);
            if (n == null || n.notifyId() == null || n.outTradeNo() == null || n.tradeStatus() == null
                    || n.totalAmount() == null || n.rawBody() == null) {
                fail("the ledger was handed an incomplete notification: " + n);
            }
            OrderRow order = orders.get(n.outTradeNo());
            if (order == null) {
                throw new Refused(Outcome.UNKNOWN_ORDER, "no order with out_trade_no " + n.outTradeNo());
            }
            if (order.totalAmount().compareTo(n.totalAmount()) != 0) {
                throw new Refused(Outcome.AMOUNT_MISMATCH, "total_amount " + n.totalAmount()
                        + " differs from the order's " + order.totalAmount());
            }
            TradeTransition.Result result = TradeTransition.decide(order, n);
            if (notifyIds.containsKey(n.notifyId())) {
                return new Applied(Outcome.DUPLICATE, "notify_id already recorded");
            }
            notifyIds.put(n.notifyId(), result.outcome());
            orders.put(n.outTradeNo(), result.next());
            return new Applied(result.outcome(), result.reason());
        }
    }
}
