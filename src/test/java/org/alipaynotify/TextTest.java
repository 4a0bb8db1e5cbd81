package org.alipaynotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TextTest {
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
