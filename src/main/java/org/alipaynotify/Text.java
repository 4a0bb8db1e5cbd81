package org.alipaynotify;

import java.util.regex.Pattern;

/** Makes untrusted text safe for one log line, and keeps secrets out of it. */
public final class Text {
    /** {@code //user:secret@host}: the password of a URL's user information. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@\\s:()]*):([^/\\s]*)@");
    /** {@code password=secret}, {@code trustCertificateKeyStorePassword=...}, {@code (password=secret)}. */
    private static final Pattern PASSWORD_VALUE = Pattern.compile("(?i)([a-z0-9_.-]*password[a-z0-9_.-]*=)"
            + "[^&;,)\\s'\"]*");
    public static final String MASK = "****";

    private Text() {
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
