package org.alipaynotify.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.alipaynotify.keys.AlipayKey;
import org.alipaynotify.testsupport.RealVectors;
import org.junit.jupiter.api.Test;

/**
 * A synchronous answer signed by Alipay itself (go-pay's test vector) verifies the way the gateway client checks
 * answers, and its tampered twins do not.
 */
class GatewayTest {
    static final String NODE = "alipay_trade_query_response";

    static String body(String node, String signedText, String sign) {
        return "{\"" + node + "\":" + signedText + ",\"sign\":\"" + sign + "\"}";
    }

    static AlipayKey key() throws Exception {
        return AlipayKey.fromPublicKey("alipay.public-key", RealVectors.read(RealVectors.SYNC_RESPONSE,
                "alipay_public_key.b64.txt"));
    }

    @Test
    void alipaysOwnSignedAnswerVerifies() throws Exception {
        String signed = RealVectors.read(RealVectors.SYNC_RESPONSE, "sign_data.txt");
        String sign = RealVectors.read(RealVectors.SYNC_RESPONSE, "sign.txt");
        Gateway.Answer a = Gateway.verify("alipay.trade.query", body(NODE, signed, sign), key(), "RSA2");
        assertEquals("GZ201901301040361012", a.text("out_trade_no"));
        assertEquals("0.01", a.text("total_amount"));
        assertTrue(a.success());
    }

    @Test
    void itsTamperedTwinsDoNot() throws Exception {
        String signed = RealVectors.read(RealVectors.SYNC_RESPONSE, "sign_data.txt");
        String sign = RealVectors.read(RealVectors.SYNC_RESPONSE, "sign.txt");
        AlipayKey key = key();
        List<String> twins = List.of(
                body(NODE, signed.replace("\"total_amount\":\"0.01\"", "\"total_amount\":\"100.01\""), sign),
                body(NODE, signed.replace("GZ201901301040361012", "GZ201901301040361013"), sign),
                // re-serialised with a space: the exact text is what was signed
                body(NODE, signed.replace("\"code\":\"10000\"", "\"code\": \"10000\""), sign),
                body(NODE, signed, sign.replace('b', 'c')),
                body(NODE, signed, ""),
                // the node twice: which one did Alipay sign?
                "{\"" + NODE + "\":" + signed + ",\"x\":{\"" + NODE + "\":{}},\"sign\":\"" + sign + "\"}");
        for (String twin : twins) {
            Gateway.Unanswered u = assertThrows(Gateway.Unanswered.class,
                    () -> Gateway.verify("alipay.trade.query", twin, key, "RSA2"), twin);
            assertEquals("unverifiable", u.kind, u.getMessage());
        }
        assertEquals("unverifiable", assertThrows(Gateway.Unanswered.class,
                () -> Gateway.verify("alipay.trade.query", body(NODE, signed, sign), key, "RSA")).kind,
                "SHA1 where Alipay signed SHA256");
        assertEquals("malformed", assertThrows(Gateway.Unanswered.class,
                () -> Gateway.verify("alipay.trade.query", "<html>", key, "RSA2")).kind);
    }
}
