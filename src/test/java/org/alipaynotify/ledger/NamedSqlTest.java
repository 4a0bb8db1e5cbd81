package org.alipaynotify.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NamedSqlTest {
    @Test
    void namedParametersBecomeJdbcPlaceholdersInOrderWithRepeats() {
        NamedSql s = NamedSql.parse("UPDATE t_order SET refunded_fen = :refund_fee_fen, status = IF(:refund_fee_fen"
                + " >= amount_fen, 3, status) WHERE order_no = :OUT_TRADE_NO");
        assertEquals("UPDATE t_order SET refunded_fen = ?, status = IF(? >= amount_fen, 3, status) WHERE order_no = ?",
                s.jdbc());
        assertEquals(List.of("refund_fee_fen", "refund_fee_fen", "out_trade_no"), s.names());
        assertEquals("UPDATE", s.verb());
    }

    @Test
    void quotedTextIdentifiersAndCommentsAreNotParameters() {
        NamedSql s = NamedSql.parse("SELECT ':not_me', \"it''s :no\", `col:x`, 'a\\':no' -- :comment\n"
                + " /* :block */ # :hash\n FROM t WHERE a = :yes AND b := 1 AND c::int = 2");
        assertEquals(List.of("yes"), s.names());
        assertTrue(s.jdbc().contains("':not_me'") && s.jdbc().contains("`col:x`") && s.jdbc().contains("-- :comment"),
                s.jdbc());
    }

    @Test
    void forUpdateCountsOnlyOutsideQuotesAndComments() {
        assertTrue(NamedSql.parse("select 1 from t where id = :out_trade_no for\n  update").locksForUpdate());
        assertFalse(NamedSql.parse("SELECT 'FOR UPDATE' FROM t WHERE id = :out_trade_no").locksForUpdate());
        assertFalse(NamedSql.parse("SELECT 1 FROM t WHERE id = :out_trade_no -- FOR UPDATE").locksForUpdate());
        assertFalse(NamedSql.parse("SELECT 1 FROM t WHERE id = :out_trade_no LOCK IN SHARE MODE").locksForUpdate());
        assertFalse(NamedSql.parse("SELECT before_update FROM t").locksForUpdate());
    }

    @Test
    void severalStatementsAreSeenButATrailingSemicolonIsNot() {
        assertTrue(NamedSql.parse("UPDATE t SET a = 1; DROP TABLE t").severalStatements());
        assertFalse(NamedSql.parse("UPDATE t SET a = ';' WHERE b = :out_trade_no;").severalStatements());
        assertFalse(NamedSql.parse("UPDATE t SET a = 1 -- ; not a second one").severalStatements());
    }

    @Test
    void theVerbSkipsLeadingCommentsAndSpace() {
        assertEquals("SELECT", NamedSql.parse("  /* lookup */\n select 1").verb());
        assertEquals("CALL", NamedSql.parse("call on_paid(:out_trade_no)").verb());
    }
}
