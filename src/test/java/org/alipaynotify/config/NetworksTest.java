package org.alipaynotify.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetworksTest {
    private static Networks of(String list) {
        return Networks.parse(Settings.OPS_ALLOWED_NETWORKS, list);
    }

    private static void inside(Networks n, String... addresses) {
        for (String a : addresses) {
            assertTrue(n.contains(a), () -> a + " should be in " + n);
        }
    }

    private static void outside(Networks n, String... addresses) {
        for (String a : addresses) {
            assertFalse(n.contains(a), () -> a + " should not be in " + n);
        }
    }

    // ---- IPv4 ----

    @Test
    void ipv4BlockFromItsFirstToItsLastAddress() {
        Networks n = of("10.0.0.0/8");
        inside(n, "10.0.0.0", "10.0.0.1", "10.128.7.9", "10.255.255.255");
        outside(n, "9.255.255.255", "11.0.0.0", "110.0.0.1", "1.0.0.10");
    }

    @Test
    void prefixesThatDoNotEndOnAByte() {
        Networks n = of("172.16.0.0/12");
        inside(n, "172.16.0.0", "172.20.1.1", "172.31.255.255");
        outside(n, "172.15.255.255", "172.32.0.0");
        Networks odd = of("192.0.2.128/25");
        inside(odd, "192.0.2.128", "192.0.2.255");
        outside(odd, "192.0.2.127", "192.0.3.128");
        Networks pair = of("198.51.100.6/31");
        inside(pair, "198.51.100.6", "198.51.100.7");
        outside(pair, "198.51.100.5", "198.51.100.8");
    }

    @Test
    void aSingleAddressIsASlash32() {
        Networks n = of("192.0.2.7");
        inside(n, "192.0.2.7");
        outside(n, "192.0.2.6", "192.0.2.8", "192.0.2.70");
        assertEquals(of("192.0.2.7/32").contains("192.0.2.7"), n.contains("192.0.2.7"));
    }

    @Test
    void slash0IsEveryIpv4AddressButNoIpv6One() {
        Networks n = of("0.0.0.0/0");
        inside(n, "0.0.0.0", "127.0.0.1", "255.255.255.255", "::ffff:8.8.8.8");
        outside(n, "::1", "2001:db8::1");
    }

    // ---- IPv6 ----

    @Test
    void ipv6BlocksInEverySpellingTheContainersUse() {
        Networks n = of("fc00::/7,::1/128");
        inside(n, "fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "FD00::1",
                "::1", "0:0:0:0:0:0:0:1", "[::1]", "[0:0:0:0:0:0:0:1]", "0000:0000:0000:0000:0000:0000:0000:0001");
        outside(n, "fe00::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::2", "::", "1::1");
    }

    @Test
    void ipv6PrefixesAtTheEdges() {
        Networks doc = of("2001:db8::/32");
        inside(doc, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:0db8:0:0:0:0:0:1");
        outside(doc, "2001:db9::", "2001:db7:ffff::");
        Networks odd = of("2001:db8:0:8000::/49");
        inside(odd, "2001:db8:0:8000::1", "2001:db8:0:ffff::");
        outside(odd, "2001:db8:0:7fff::", "2001:db8:1:8000::");
        Networks everything = of("::/0");
        inside(everything, "::", "::1", "2001:db8::1", "10.0.0.1"); // IPv4 lives in ::ffff:0:0/96
    }

    @Test
    void zoneIdsOfLinkLocalAddressesAreIgnored() {
        inside(of("fe80::/10"), "fe80::1%eth0", "fe80:0:0:0:0:0:0:1%2", "[fe80::1%25eth0]");
    }

    // ---- IPv4-mapped IPv6 ----

    @Test
    void anIpv4MappedAddressIsTheIpv4Address() {
        Networks n = of("10.0.0.0/8");
        inside(n, "::ffff:10.0.0.1", "::FFFF:10.1.2.3", "0:0:0:0:0:ffff:a00:1", "::ffff:a00:1", "[::ffff:10.0.0.1]");
        outside(n, "::ffff:11.0.0.1", "::10.0.0.1", "::ffff:0:10.0.0.1", "64:ff9b::10.0.0.1");
    }

    @Test
    void aMappedBlockIsTheIpv4Block() {
        Networks n = of("::ffff:10.0.0.0/104");
        inside(n, "10.0.0.1", "10.255.0.1", "::ffff:10.9.9.9");
        outside(n, "11.0.0.1", "::a00:1");
    }

    @Test
    void theDefaultsAreLoopbackAndPrivateRanges() {
        inside(Networks.DEFAULT, "127.0.0.1", "127.255.255.254", "::1", "10.0.0.7", "172.16.0.1", "172.31.0.1",
                "192.168.1.1", "fd00::7", "::ffff:127.0.0.1", "::ffff:192.168.0.1");
        outside(Networks.DEFAULT, "203.0.113.7", "8.8.8.8", "172.32.0.1", "192.169.0.1", "169.254.0.1",
                "2001:db8::1", "fe80::1", "::", "0.0.0.0");
    }

    // ---- what is not an address never matches, and is never looked up ----

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "unknown", "_hidden", "localhost", "ip6-localhost", "example.com", "10.0.0",
            "10.0.0.1.", ".10.0.0.1", "10.0.0.1.1", "010.0.0.1", "10.0.0.01", "10.0.0.256", "10.0.0.-1", "10.0.0.1/32",
            "0x0a.0.0.1", "167772161", " 10.0.0.1", "10.0.0.1 ", "10.0.0.1:8080", "[10.0.0.1]", "::1/128", ":::1",
            "1:::1", "::1::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::1", "g::1", "::ffff:10.0.0",
            "::ffff:10.0.0.1:1", "10.0.0.1::", "[::1", "::1]", "[]", "%eth0"})
    void whatIsNotALiteralAddressIsInNoNetwork(String address) {
        Networks all = of("0.0.0.0/0,::/0");
        assertFalse(all.contains(address), () -> "'" + address + "' parsed as an address");
    }

    @Test
    void nullIsInNoNetwork() {
        assertFalse(of("0.0.0.0/0,::/0").contains(null));
    }

    // ---- bad entries stop the webapp, naming the key and the entry ----

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "example.com", "10.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
            "10.0.0.0/", "/8", "10.0.0.0/8/8", "10.0.0.0/08", "10.0.0.0/x", "256.0.0.0/8", "010.0.0.0/8",
            "10.0.0.1/8", "192.168.1.0/16", "fd00::1/8", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "[::1]",
            "[::1]/128", "10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.0-10.0.0.255", "10.0.0.*", "*", "any", "all"})
    void aBadEntryIsRefusedNamingTheKeyAndTheEntry(String entry) {
        SettingsException e = assertThrows(SettingsException.class, () -> of("127.0.0.1," + entry + ",::1"));
        assertEquals(Settings.OPS_ALLOWED_NETWORKS, e.key());
        assertTrue(e.getMessage().startsWith(Settings.OPS_ALLOWED_NETWORKS + " ("), e.getMessage());
        assertTrue(e.getMessage().contains("'" + entry + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,::1", "10.0.0.0/8, "})
    void anEmptyEntryIsRefused(String list) {
        SettingsException e = assertThrows(SettingsException.class, () -> of(list));
        assertEquals(Settings.OPS_ALLOWED_NETWORKS, e.key());
        assertTrue(e.getMessage().contains("empty entry"), e.getMessage());
    }

    @Test
    void hostBitsAfterThePrefixAreRefusedWithTheReason() {
        SettingsException e = assertThrows(SettingsException.class, () -> of("10.0.0.1/8"));
        assertTrue(e.getMessage().contains("10.0.0.1 is not the first address of a /8"), e.getMessage());
    }

    @Test
    void entriesAreTrimmedAndTheListReadsBackAsGiven() {
        Networks n = of(" 10.0.0.0/8 ,\t::1 ");
        inside(n, "10.1.1.1", "::1");
        assertEquals("10.0.0.0/8,::1", n.toString());
    }
}
