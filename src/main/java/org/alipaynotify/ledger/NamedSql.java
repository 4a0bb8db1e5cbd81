package org.alipaynotify.ledger;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A merchant's statement with named parameters ({@code :out_trade_no}), turned into JDBC text with {@code ?} and the
 * names in order, so every value is bound, never spliced. Quoted text, quoted identifiers and comments are copied as
 * they are: a {@code :x} inside them is not a parameter.
 */
final class NamedSql {
    private static final Pattern FOR_UPDATE = Pattern.compile("\\bFOR\\s+UPDATE\\b");

    private final String original;
    private final String jdbc;
    private final List<String> names;
    /** The text outside quotes and comments, upper-cased, for checks such as FOR UPDATE. */
    private final String code;

    private NamedSql(String original, String jdbc, List<String> names, String code) {
        this.original = original;
        this.jdbc = jdbc;
        this.names = names;
        this.code = code;
    }

    static NamedSql parse(String sql) {
        StringBuilder jdbc = new StringBuilder(sql.length());
        StringBuilder code = new StringBuilder(sql.length());
        List<String> names = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            int end;
            if (c == '\'' || c == '"' || c == '`') {
                end = quoted(sql, i, c);
            } else if (c == '#' || sql.startsWith("--", i) && (i + 2 >= n || Character.isWhitespace(sql.charAt(i + 2)))) {
                end = sql.indexOf('\n', i);
                end = end < 0 ? n : end;
            } else if (sql.startsWith("/*", i)) {
                end = sql.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
            } else if (c == ':' && i + 1 < n && isNameStart(sql.charAt(i + 1))
                    && (i == 0 || sql.charAt(i - 1) != ':')) {
                int j = i + 1;
                while (j < n && isNamePart(sql.charAt(j))) {
                    j++;
                }
                names.add(sql.substring(i + 1, j).toLowerCase(Locale.ROOT));
                jdbc.append('?');
                code.append(" ? ");
                i = j;
                continue;
            } else {
                jdbc.append(c);
                code.append(Character.toUpperCase(c));
                i++;
                continue;
            }
            jdbc.append(sql, i, end);
            code.append(' ');
            i = end;
        }
        return new NamedSql(sql, jdbc.toString(), Collections.unmodifiableList(names), code.toString());
    }

    /** The end (exclusive) of a quoted run starting at {@code start}; doubled quotes and backslashes escape. */
    private static int quoted(String sql, int start, char quote) {
        int i = start + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || c >= '0' && c <= '9';
    }

    String original() {
        return original;
    }

    String jdbc() {
        return jdbc;
    }

    /** The parameter names in the order of the {@code ?}, repeats included. */
    List<String> names() {
        return names;
    }

    /** Outside quotes and comments, the statement ends in (or holds) FOR UPDATE. */
    boolean locksForUpdate() {
        return FOR_UPDATE.matcher(code).find();
    }

    /** The first keyword outside comments, upper-cased (SELECT, UPDATE, INSERT, ...). */
    String verb() {
        String t = code.strip();
        int end = 0;
        while (end < t.length() && Character.isLetter(t.charAt(end))) {
            end++;
        }
        return t.substring(0, end);
    }

    /** More than one statement (a ';' outside quotes and comments, other than a trailing one). */
    boolean severalStatements() {
        String t = code.strip();
        int semicolon = t.indexOf(';');
        return semicolon >= 0 && semicolon < t.length() - 1 && !t.substring(semicolon + 1).isBlank();
    }
}
