package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DatabaseTest {
    static void assertSplit(String url, String expectedUrl, String expectedPassword) {
        Database.UrlAndPassword split = Database.UrlAndPassword.of(url);
        assertEquals(expectedUrl, split.url());
        assertEquals(expectedPassword, split.password());
    }

    @Test
    void thePasswordOfAUrlGoesToThePoolAsThePasswordAndLeavesTheUrl() {
        assertSplit("jdbc:mysql://alice:p%40ss+w@db:3306/pay?sslMode=REQUIRED", "jdbc:mysql://alice@db:3306/pay?sslMode=REQUIRED",
                "p@ss+w");
        assertSplit("jdbc:mysql://address=(host=db)(port=3306)(password=s3)(user=a)/pay",
                "jdbc:mysql://address=(host=db)(port=3306)(user=a)/pay", "s3");
        assertSplit("jdbc:mysql://(host=db,password=s3,user=a)/pay", "jdbc:mysql://(host=db,user=a)/pay", "s3");
        assertSplit("jdbc:mysql://(password=s3,host=db)/pay", "jdbc:mysql://(host=db)/pay", "s3");
        assertSplit("jdbc:mysql://db:3306/pay?user=a&password=s3", "jdbc:mysql://db:3306/pay?user=a&password=s3", null);
        assertSplit("jdbc:mysql://db:3306/pay", "jdbc:mysql://db:3306/pay", null);
    }
}
