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
}
