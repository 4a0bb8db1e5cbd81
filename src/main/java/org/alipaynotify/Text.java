package org.alipaynotify;

/** Makes untrusted text safe for one log line or a bounded column. */
public final class Text {
    /** The width of every {@code remote_addr} column. */
    public static final int ADDRESS_MAX = 64;

    private Text() {
    }

    /**
     * A client address as the container reported it, fit for a {@code VARCHAR(64)} column and a log line: printable
     * ASCII only (anything else becomes '?') and at most {@link #ADDRESS_MAX} characters. The container may have taken
     * it from a forwarding header a client wrote (a misconfigured proxy), so it is text from the network, not a fact.
     */
    public static String address(String remote) {
        if (remote == null || remote.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(remote.length(), ADDRESS_MAX));
        for (int i = 0; i < remote.length() && b.length() < ADDRESS_MAX; i++) {
            char c = remote.charAt(i);
            b.append(c > 0x20 && c < 0x7f ? c : '?');
        }
        if (remote.length() > ADDRESS_MAX) {
            b.setLength(ADDRESS_MAX - 3);
            b.append("...");
        }
        return b.toString();
    }

    /** Control characters become '?', and the text is cut to at most {@code max} characters. */
    public static String printable(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 3);
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        if (s.length() > max) {
            b.append("...");
        }
        return b.toString();
    }
}
