package org.alipaynotify;

import java.util.regex.Pattern;

/** Makes untrusted text safe for one log line or a bounded column, and keeps secrets out of it. */
public final class Text {
    /** The width of every {@code remote_addr} column. */
    public static final int ADDRESS_MAX = 64;
    /** {@code //user:secret@host}: the password of a URL's user information. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@\\s:()]*):([^/\\s]*)@");
    /** {@code password=secret}, {@code trustCertificateKeyStorePassword=...}, {@code (password=secret)}. */
    private static final Pattern PASSWORD_VALUE = Pattern.compile("(?i)([a-z0-9_.-]*password[a-z0-9_.-]*=)"
            + "[^&;,)\\s'\"]*");
    public static final String MASK = "****";

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

    /**
     * Control characters become '?', secrets are masked ({@link #maskSecrets}), and the text is cut to at most
     * {@code max} characters.
     */
    public static String printable(String s, int max) {
        if (s == null) {
            return "";
        }
        s = maskSecrets(s);
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

    /**
     * The text with the passwords a JDBC URL (or a driver's message quoting one) may carry replaced by
     * {@value #MASK}: {@code jdbc:mysql://user:****@host/db}, {@code ?password=****}, {@code (password=****)}. Every
     * line we log that may hold a database URL or a driver's error goes through here.
     */
    public static String maskSecrets(String s) {
        if (s == null || (s.indexOf('@') < 0 && !containsIgnoreCase(s, "password"))) {
            return s; // the common case, without a regular expression
        }
        String masked = USER_INFO.matcher(s).replaceAll("$1:" + MASK + "@");
        return PASSWORD_VALUE.matcher(masked).replaceAll("$1" + MASK);
    }

    private static boolean containsIgnoreCase(String s, String word) {
        for (int i = 0; i + word.length() <= s.length(); i++) {
            if (s.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }
}
