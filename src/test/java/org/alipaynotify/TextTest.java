package org.alipaynotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

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
}
