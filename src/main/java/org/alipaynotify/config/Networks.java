package org.alipaynotify.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A list of IPv4 and IPv6 networks (CIDR blocks or single addresses) and the test whether an address, as the
 * container reports it, lies in one of them. Only literals are parsed: a host name is refused in the list and never
 * matches as an address, so no DNS lookup (and no resolver an attacker might influence) decides who is let in.
 * IPv4 is held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so 10.0.0.1 and ::ffff:10.0.0.1 are the same address
 * whichever way the container spells it, and a v4 block is a v6 block 96 bits longer.
 */
public final class Networks {
    /** Loopback and the private ranges: where monitoring usually lives. */
    public static final String DEFAULT_LIST = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";
    public static final Networks DEFAULT = parse(Settings.OPS_ALLOWED_NETWORKS, DEFAULT_LIST);

    private static final int V4_IN_V6 = 96;

    private final List<Block> blocks;
    private final String text;

    private Networks(List<Block> blocks, String text) {
        this.blocks = List.copyOf(blocks);
        this.text = text;
    }

    /** @throws SettingsException naming {@code key} and the first entry that is not an address or a CIDR block */
    static Networks parse(String key, String list) {
        List<Block> blocks = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (String part : list.split(",", -1)) {
            String entry = part.trim();
            if (entry.isEmpty()) {
                throw new SettingsException(key, "has an empty entry in '" + list + "'");
            }
            blocks.add(block(key, entry));
            entries.add(entry);
        }
        return new Networks(blocks, String.join(",", entries));
    }

    /**
     * @param address what {@code ServletRequest.getRemoteAddr()} returned: IPv4, or IPv6 with or without brackets
     *                and a zone id, in any of the spellings containers use; anything else (null, a name,
     *                "unknown", Forwarded's "_hidden") is outside every network
     */
    public boolean contains(String address) {
        byte[] a = parseAddress(address);
        if (a == null) {
            return false;
        }
        for (Block b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    private static Block block(String key, String entry) {
        int slash = entry.indexOf('/');
        String addressPart = slash < 0 ? entry : entry.substring(0, slash);
        boolean v4 = addressPart.indexOf(':') < 0;
        byte[] address = v4 ? mapped(ipv4(addressPart)) : ipv6(addressPart);
        if (address == null) {
            throw new SettingsException(key, "has '" + entry + "', which is not an IPv4 or IPv6 address or CIDR"
                    + " block (such as 10.0.0.0/8, 192.0.2.7, fc00::/7 or ::1; host names are not looked up)");
        }
        int max = v4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            String p = entry.substring(slash + 1);
            if (!p.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(p) > max) {
                throw new SettingsException(key, "has '" + entry + "', whose prefix length must be 0 to " + max);
            }
            prefix = Integer.parseInt(p);
        }
        Block block = new Block(address, v4 ? prefix + V4_IN_V6 : prefix);
        // 10.0.0.1/8 is most likely a typo for 10.0.0.1 or 10.0.0.0/8; guessing which could let in a whole network.
        if (!Arrays.equals(address, block.network)) {
            throw new SettingsException(key, "has '" + entry + "', which has bits set after its prefix length:"
                    + " write the network address (" + addressPart + " is not the first address of a /" + prefix
                    + ")");
        }
        return block;
    }

    private static byte[] parseAddress(String address) {
        if (address == null) {
            return null;
        }
        String a = address;
        if (a.length() > 2 && a.charAt(0) == '[' && a.charAt(a.length() - 1) == ']') {
            a = a.substring(1, a.length() - 1);
            if (a.indexOf(':') < 0) {
                return null; // brackets belong to IPv6 only
            }
        }
        if (a.indexOf(':') < 0) {
            return mapped(ipv4(a));
        }
        int zone = a.indexOf('%');
        return ipv6(zone < 0 ? a : a.substring(0, zone));
    }

    /** Dotted decimal, exactly four parts, no leading zeros (which some parsers read as octal). */
    private static byte[] ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("0|[1-9][0-9]{0,2}")) {
                return null;
            }
            int n = Integer.parseInt(parts[i]);
            if (n > 255) {
                return null;
            }
            b[i] = (byte) n;
        }
        return b;
    }

    private static byte[] mapped(byte[] v4) {
        if (v4 == null) {
            return null;
        }
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(v4, 0, b, 12, 4);
        return b;
    }

    /** RFC 4291 text: eight groups of 1-4 hex digits, one "::" at most, an IPv4 tail allowed. */
    private static byte[] ipv6(String s) {
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        List<Integer> head = new ArrayList<>();
        List<Integer> tail = new ArrayList<>();
        if (gap < 0) {
            if (!groups(s, head)) {
                return null;
            }
        } else if (s.substring(0, gap).indexOf('.') >= 0 // an IPv4 tail must come last, not before the "::"
                || !groups(s.substring(0, gap), head) || !groups(s.substring(gap + 2), tail)) {
            return null;
        }
        int n = head.size() + tail.size();
        if (gap < 0 ? n != 8 : n > 7) {
            return null;
        }
        byte[] b = new byte[16];
        for (int i = 0; i < head.size(); i++) {
            b[2 * i] = (byte) (head.get(i) >> 8);
            b[2 * i + 1] = head.get(i).byteValue();
        }
        for (int i = 0; i < tail.size(); i++) {
            int at = 8 - tail.size() + i;
            b[2 * at] = (byte) (tail.get(i) >> 8);
            b[2 * at + 1] = tail.get(i).byteValue();
        }
        return b;
    }

    /** Colon-separated 16-bit groups (the last may be an IPv4 address, two groups); "" is no group. */
    private static boolean groups(String part, List<Integer> out) {
        if (part.isEmpty()) {
            return true;
        }
        String[] pieces = part.split(":", -1);
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (i == pieces.length - 1 && p.indexOf('.') >= 0) {
                byte[] v4 = ipv4(p);
                if (v4 == null) {
                    return false;
                }
                out.add((v4[0] & 0xff) << 8 | (v4[1] & 0xff));
                out.add((v4[2] & 0xff) << 8 | (v4[3] & 0xff));
            } else if (p.matches("[0-9A-Fa-f]{1,4}")) {
                out.add(Integer.parseInt(p, 16));
            } else {
                return false;
            }
        }
        return true;
    }

    /** One network: the address with the bits after {@code prefix} cleared, over 128 bits. */
    private static final class Block {
        final byte[] network;
        final int prefix;

        Block(byte[] address, int prefix) {
            this.prefix = prefix;
            network = address.clone();
            for (int bit = prefix; bit < 128; bit++) {
                network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
        }

        boolean contains(byte[] address) {
            int whole = prefix / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }
    }
}
