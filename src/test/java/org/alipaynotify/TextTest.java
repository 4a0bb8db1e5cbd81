package org.alipaynotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void passwordsOfDatabaseUrlsAreMaskedWhereverTheyStand() {
        assertEquals("jdbc:mysql://alice:****@db:3306/pay", Text.maskSecrets("jdbc:mysql://alice:p@ssw0rd@db:3306/pay"));
        assertEquals("jdbc:mysql://db/pay?user=alice&password=****&sslMode=REQUIRED",
                Text.maskSecrets("jdbc:mysql://db/pay?user=alice&password=s3&sslMode=REQUIRED"));
        assertEquals("jdbc:mysql://address=(host=db)(user=a)(password=****)/pay",
                Text.maskSecrets("jdbc:mysql://address=(host=db)(user=a)(password=s3)/pay"));
        assertEquals("jdbc:mysql://(host=db,user=a,Password1=****,port=3306)/pay",
                Text.maskSecrets("jdbc:mysql://(host=db,user=a,Password1=s3,port=3306)/pay"));
        assertEquals("db.url 'jdbc:mysql://db/x?trustCertificateKeyStorePassword=****' cannot be used",
                Text.maskSecrets("db.url 'jdbc:mysql://db/x?trustCertificateKeyStorePassword=k' cannot be used"));
    }

    @Test
    void textWithoutSecretsIsLeftAsItIs() {
        String line = "notify_id=1 out_trade_no=20261125-0001 outcome=APPLIED reason=\"WAIT_BUYER_PAY -> TRADE_SUCCESS\"";
        assertSame(line, Text.maskSecrets(line));
        assertEquals("Access denied for user 'root'@'localhost' (using password: YES)",
                Text.maskSecrets("Access denied for user 'root'@'localhost' (using password: YES)"));
        assertEquals("url jdbc:mysql://u:****@h/d?", Text.printable("url jdbc:mysql://u:x@h/d\n", 100),
                "log lines made printable are masked too");
    }

    @Test
    void anAddressIsKeptAsTheContainerReportedItWhenItIsOne() {
        assertEquals("203.0.113.7", Text.address("203.0.113.7"));
        assertEquals("[2001:db8::1]", Text.address("[2001:db8::1]"));
        assertEquals("0:0:0:0:0:0:0:1", Text.address("0:0:0:0:0:0:0:1"));
    }

    @Test
    void aClientChosenAddressIsBoundedAndPrintable() {
        // what a container takes from a Forwarded header it should not have trusted
        String forged = "6.6.6.6\r\nFAKE LOG LINE \u0000\u202e" + "9".repeat(5_000);
        String stored = Text.address(forged);
        assertEquals(Text.ADDRESS_MAX, stored.length());
        assertTrue(stored.chars().allMatch(c -> c > 0x20 && c < 0x7f), stored);
        assertTrue(stored.startsWith("6.6.6.6??FAKE?LOG?LINE???"), stored);
        assertTrue(stored.endsWith("..."), stored);
        assertEquals("-", Text.address(null));
        assertEquals("-", Text.address(""));
    }
}
