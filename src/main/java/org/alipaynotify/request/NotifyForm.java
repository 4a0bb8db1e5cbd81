package org.alipaynotify.request;

import java.nio.charset.Charset;
import java.util.Map;

/**
 * The parsed body, not yet trusted: every field decoded with the notification's own charset, in the order received,
 * together with the exact bytes that arrived.
 *
 * @param fields      decoded keys and values, unmodifiable, insertion order
 * @param charsetName the charset as the notification named it (when it names none: the app's
 *                    {@code default-charset}, utf-8 unless configured); the SDK encodes the signed content with it
 * @param charset     the same, resolved
 * @param rawBody     the body exactly as received, signature included
 */
public record NotifyForm(Map<String, String> fields, String charsetName, Charset charset, byte[] rawBody) {
    public String get(String key) {
        return fields.get(key);
    }
}
