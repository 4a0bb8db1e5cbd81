package org.alipaynotify;

/**
 * The little JSON this webapp writes (health reports, event payloads), without a library: an object of string,
 * number, boolean, raw and null members, strings escaped per RFC 8259.
 */
public final class Json {
    private final StringBuilder b = new StringBuilder(256).append('{');
    private boolean first = true;

    public static Json object() {
        return new Json();
    }

    /** A string member; a null value is written as JSON null. */
    public Json string(String name, String value) {
        key(name);
        if (value == null) {
            b.append("null");
        } else {
            quote(b, value);
        }
        return this;
    }

    public Json number(String name, long value) {
        key(name);
        b.append(value);
        return this;
    }

    public Json bool(String name, boolean value) {
        key(name);
        b.append(value);
        return this;
    }

    /** A member whose value is already JSON (a nested object or array). */
    public Json raw(String name, String json) {
        key(name);
        b.append(json);
        return this;
    }

    @Override
    public String toString() {
        return b + "}";
    }

    private void key(String name) {
        if (!first) {
            b.append(',');
        }
        first = false;
        quote(b, name);
        b.append(':');
    }

    public static void quote(StringBuilder b, String value) {
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }

    /**
     * Parses JSON text into maps (insertion order), lists, strings, {@link java.math.BigDecimal} numbers, booleans
     * and null. Strict: trailing text, unknown escapes and unterminated values are refused. For the small documents
     * Alipay's gateway answers with; there is no JSON library in the WAR.
     */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.space();
        Object v = p.value();
        p.space();
        if (p.at < text.length()) {
            throw new IllegalArgumentException("JSON: text after the value at " + p.at);
        }
        return v;
    }

    private static final class Parser {
        private final String s;
        private int at;

        Parser(String s) {
            this.s = s;
        }

        Object value() {
            if (at >= s.length()) {
                throw new IllegalArgumentException("JSON: value expected at " + at);
            }
            char c = s.charAt(at);
            switch (c) {
                case '{': return object();
                case '[': return array();
                case '"': return string();
                case 't': return literal("true", Boolean.TRUE);
                case 'f': return literal("false", Boolean.FALSE);
                case 'n': return literal("null", null);
                default: return number();
            }
        }

        private java.util.Map<String, Object> object() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            at++;
            space();
            if (peek('}')) {
                at++;
                return m;
            }
            while (true) {
                space();
                if (!peek('"')) {
                    throw new IllegalArgumentException("JSON: member name expected at " + at);
                }
                String key = string();
                space();
                expect(':');
                space();
                m.put(key, value());
                space();
                if (peek(',')) {
                    at++;
                    continue;
                }
                expect('}');
                return m;
            }
        }

        private java.util.List<Object> array() {
            java.util.List<Object> l = new java.util.ArrayList<>();
            at++;
            space();
            if (peek(']')) {
                at++;
                return l;
            }
            while (true) {
                space();
                l.add(value());
                space();
                if (peek(',')) {
                    at++;
                    continue;
                }
                expect(']');
                return l;
            }
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            at++;
            while (at < s.length()) {
                char c = s.charAt(at++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (at >= s.length()) {
                    break;
                }
                char e = s.charAt(at++);
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (at + 4 > s.length()) {
                            throw new IllegalArgumentException("JSON: short \\u escape at " + at);
                        }
                        b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
                        at += 4;
                        break;
                    default: throw new IllegalArgumentException("JSON: unknown escape \\" + e + " at " + at);
                }
            }
            throw new IllegalArgumentException("JSON: unterminated string");
        }

        private Object number() {
            int start = at;
            while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("JSON: unexpected '" + s.charAt(at) + "' at " + at);
            }
            return new java.math.BigDecimal(s.substring(start, at));
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, at)) {
                throw new IllegalArgumentException("JSON: unexpected text at " + at);
            }
            at += word.length();
            return v;
        }

        private boolean peek(char c) {
            return at < s.length() && s.charAt(at) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("JSON: '" + c + "' expected at " + at);
            }
            at++;
        }

        void space() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }
    }
}
