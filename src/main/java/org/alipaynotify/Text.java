package org.alipaynotify;

/** Makes untrusted text safe for one log line. */
public final class Text {
    private Text() {
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
