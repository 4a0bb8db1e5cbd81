package org.alipaynotify.request;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.alipaynotify.Outcome;

/**
 * The hostile request corpus of {@code src/test/resources/hostile-corpus/}: the entry format (see the README.md
 * there), the expansion of an entry's body into the exact bytes to send, and a raw HTTP/1.1 client on
 * {@link java.net.Socket} for what {@link java.net.http.HttpClient} cannot send (chunked framing of our own, pauses,
 * a Content-Length that lies, headers only). Used by {@link HostileCorpusIT}.
 */
final class HostileCorpus {
    static final String RESOURCE_DIR = "/hostile-corpus";
    static final List<String> DIRECTIVES = List.of("expect", "method", "path", "content-type", "transfer", "sign",
            "order", "order2", "order-id", "db", "tamper", "generate", "header", "content-length", "max-ms",
            "half-close", "category", "variant", "known-bug");

    private HostileCorpus() {
    }

    // ------------------------------------------------------------------------------------------------ entries

    /** The answer of an entry that the container refuses before the webapp sees it (bad HTTP framing). */
    static final String CONTAINER = "container";

    /**
     * One expected answer: HTTP status, body ({@code success}/{@code failure}) and the {@link Outcome} name; or
     * status, {@code container} and {@code -} for a request the container refuses itself.
     */
    record Expect(int status, String answer, String outcome) {
        boolean byContainer() {
            return answer.equals(CONTAINER);
        }

        @Override
        public String toString() {
            return status + " " + answer + " " + outcome;
        }
    }

    /** A generator: {@code {{NAME}}} in the body becomes what {@code function(args)} produces. */
    record Generator(String name, String function, List<String> args) {
    }

    /** A parsed corpus file. Bodies are kept as ISO-8859-1 strings: one char per byte, so edits are byte-exact. */
    record Entry(String name, String description, String category, List<Expect> expects, String method, String path,
            String contentType, String transfer, Map<String, String> transferOptions, String sign, String order,
            String order2, String orderId, String db, List<String[]> tampers, List<Generator> generators,
            List<String> headers, String contentLength, long maxMs, boolean halfClose, String bodyTemplate,
            List<Variant> variants, String knownBug) {

        boolean raw() {
            return !transfer.equals("normal");
        }

        /** The body template for the n-th request (1-based): the entry's, with that request's variants applied. */
        String template(int n) {
            String t = bodyTemplate;
            for (Variant v : variants) {
                if (v.send() == n) {
                    if (!t.contains(v.from())) {
                        throw new IllegalArgumentException(name + ": variant: '" + v.from() + "' is not in the body");
                    }
                    t = t.replace(v.from(), v.to());
                }
            }
            return t;
        }
    }

    /** For request number {@code send} (1-based), {@code from} becomes {@code to} in the template, before signing. */
    record Variant(int send, String from, String to) {
    }

    static List<Path> files() throws IOException {
        URL url = HostileCorpus.class.getResource(RESOURCE_DIR);
        if (url == null) {
            throw new IllegalStateException(RESOURCE_DIR + " is not on the test class path");
        }
        Path dir;
        try {
            dir = Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".http")).sorted().collect(Collectors.toList());
        }
    }

    static Entry parse(Path file) throws IOException {
        String name = file.getFileName().toString().replaceFirst("\\.http$", "");
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        StringBuilder description = new StringBuilder();
        List<Expect> expects = new ArrayList<>();
        List<String[]> tampers = new ArrayList<>();
        List<Generator> generators = new ArrayList<>();
        List<String> headers = new ArrayList<>();
        List<Variant> variants = new ArrayList<>();
        Map<String, String> d = new LinkedHashMap<>();
        int i = 0;
        for (; i < lines.size() && lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i).substring(1).strip();
            int colon = line.indexOf(':');
            String key = colon < 0 ? "" : line.substring(0, colon);
            if (!DIRECTIVES.contains(key)) {
                if (!line.isEmpty()) {
                    description.append(description.length() == 0 ? "" : " ").append(line);
                }
                continue;
            }
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "expect": {
                    String[] p = value.split("\\s+");
                    boolean container = p.length == 3 && p[1].equals(CONTAINER) && p[2].equals("-");
                    if (p.length != 3 || !(p[1].equals("success") || p[1].equals("failure") || container)) {
                        throw new IllegalArgumentException(name + ": expect needs 'STATUS success|failure OUTCOME'"
                                + " or 'STATUS container -'");
                    }
                    if (!container) {
                        Outcome.valueOf(p[2]);
                    }
                    expects.add(new Expect(Integer.parseInt(p[0]), p[1], p[2]));
                    break;
                }
                case "tamper": {
                    int arrow = value.indexOf(" => ");
                    if (arrow < 0) {
                        throw new IllegalArgumentException(name + ": tamper needs 'FROM => TO'");
                    }
                    tampers.add(new String[] {iso(value.substring(0, arrow)), iso(value.substring(arrow + 4))});
                    break;
                }
                case "generate": {
                    Matcher m = Pattern.compile("([A-Z0-9_]+)\\s*=\\s*([a-z]+)\\((.*)\\)").matcher(value);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(name + ": generate needs 'NAME = function(args)'");
                    }
                    String[] args = m.group(3).split(",", m.group(2).equals("repeat") ? 2 : -1);
                    List<String> list = new ArrayList<>();
                    for (String a : args) {
                        list.add(a.strip());
                    }
                    generators.add(new Generator(m.group(1), m.group(2), list));
                    break;
                }
                case "header":
                    headers.add(value);
                    break;
                case "variant": {
                    Matcher m = Pattern.compile("([0-9]+):\\s*(.*?) => (.*)").matcher(value);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(name + ": variant needs 'N: FROM => TO'");
                    }
                    variants.add(new Variant(Integer.parseInt(m.group(1)), iso(m.group(2)), iso(m.group(3))));
                    break;
                }
                default:
                    if (d.put(key, value) != null) {
                        throw new IllegalArgumentException(name + ": directive '" + key + "' given twice");
                    }
            }
        }
        StringBuilder body = new StringBuilder();
        for (; i < lines.size(); i++) {
            body.append(iso(lines.get(i)));
        }
        if (expects.isEmpty()) {
            throw new IllegalArgumentException(name + ": no '# expect:' line");
        }
        String[] transfer = d.getOrDefault("transfer", "normal").split("\\s+");
        Map<String, String> transferOptions = new LinkedHashMap<>();
        for (int t = 1; t < transfer.length; t++) {
            String[] kv = transfer[t].split("=", 2);
            transferOptions.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        if (!List.of("normal", "raw", "chunked", "slow", "headers-only").contains(transfer[0])) {
            throw new IllegalArgumentException(name + ": unknown transfer '" + transfer[0] + "'");
        }
        String sign = d.getOrDefault("sign", "none");
        if (!List.of("none", "valid", "sha1", "other-key").contains(sign)) {
            throw new IllegalArgumentException(name + ": unknown sign mode '" + sign + "'");
        }
        boolean anySuccess = expects.stream().anyMatch(e -> e.answer().equals("success"));
        String db = d.getOrDefault("db", anySuccess ? "order=TRADE_SUCCESS" : "unchanged");
        return new Entry(name, description.toString(), d.getOrDefault("category", "-"), expects,
                d.getOrDefault("method", "POST"), d.getOrDefault("path", "/alipay/notify"),
                d.getOrDefault("content-type", "application/x-www-form-urlencoded"), transfer[0], transferOptions,
                sign, d.get("order"), d.get("order2"), d.get("order-id"), db, tampers, generators, headers,
                d.get("content-length"), Long.parseLong(d.getOrDefault("max-ms", "10000")),
                Boolean.parseBoolean(d.getOrDefault("half-close", "false")), body.toString(), variants,
                d.get("known-bug"));
    }

    /** Text from the file as the bytes it is sent as (UTF-8), one char per byte. */
    private static String iso(String utf8Text) {
        return new String(utf8Text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------------------------------------ bodies

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z0-9_]+)(?::([^}]*))?\\}\\}");

    /**
     * Replaces {@code {{NAME}}} and {@code {{HEX:..}}} in an ISO-8859-1 template; {@code values} answers for names
     * (null: left in place for a later pass).
     */
    static String expand(String template, Function<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length());
        while (m.find()) {
            String replacement;
            if (m.group(1).equals("HEX")) {
                replacement = hex(m.group(2));
            } else if (m.group(1).equals("CRLF")) {
                replacement = "\r\n";
            } else {
                replacement = values.apply(m.group(1));
                if (replacement == null) {
                    replacement = m.group();
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String hex(String spec) {
        String digits = spec.replaceAll("\\s", "");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < digits.length(); i += 2) {
            b.append((char) Integer.parseInt(digits.substring(i, i + 2), 16));
        }
        return b.toString();
    }

    /** What a generator produces (not {@code fill}, which is done last, once the rest of the body is known). */
    static String generate(Generator g, Function<String, String> values) {
        switch (g.function()) {
            case "repeat": {
                int n = Integer.parseInt(g.args().get(0));
                String text = expand(g.args().get(1), values);
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    b.append(text.replace("{{I}}", Integer.toString(i)));
                }
                return b.toString();
            }
            case "collisions": {
                // n distinct keys with one String.hashCode: every key a word over the blocks "Aa" and "BB"
                int n = Integer.parseInt(g.args().get(0));
                String value = g.args().size() > 1 ? g.args().get(1) : "v";
                int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    b.append("&c");
                    for (int bit = bits - 1; bit >= 0; bit--) {
                        b.append(((i >> bit) & 1) == 0 ? "Aa" : "BB");
                    }
                    b.append('=').append(value);
                }
                return b.toString();
            }
            default:
                throw new IllegalArgumentException("unknown generator " + g.function());
        }
    }

    /** The charset the body names (as the webapp reads it: trimmed, lower case; utf-8 when absent or unknown). */
    static Charset bodyCharset(Map<String, String> fields) {
        String name = fields.getOrDefault("charset", "");
        try {
            return name.isBlank() ? StandardCharsets.UTF_8 : Charset.forName(name.trim());
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /**
     * Decodes a form body the plain way (our own code, not the webapp's): split on {@code &} and the first
     * {@code =}, {@code +} is a space, {@code %XX} a byte, bytes decoded with the body's charset field; the first of
     * duplicate keys wins. Only used to compute what Alipay would sign.
     */
    static Map<String, String> decodeForm(String isoBody) {
        List<byte[][]> pairs = new ArrayList<>();
        for (String segment : isoBody.split("&")) {
            if (segment.isEmpty()) {
                continue;
            }
            int eq = segment.indexOf('=');
            String k = eq < 0 ? segment : segment.substring(0, eq);
            String v = eq < 0 ? "" : segment.substring(eq + 1);
            pairs.add(new byte[][] {percentDecode(k), percentDecode(v)});
        }
        Map<String, String> ascii = new LinkedHashMap<>();
        for (byte[][] p : pairs) {
            ascii.putIfAbsent(new String(p[0], StandardCharsets.ISO_8859_1), new String(p[1], StandardCharsets.ISO_8859_1));
        }
        Charset charset = bodyCharset(ascii);
        Map<String, String> fields = new LinkedHashMap<>();
        for (byte[][] p : pairs) {
            fields.putIfAbsent(lenient(p[0], charset), lenient(p[1], charset));
        }
        return fields;
    }

    private static byte[] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
                    && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static String lenient(byte[] bytes, Charset charset) {
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String formEncode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ raw HTTP

    /** A response as read off the socket; {@code status} -1 when none arrived. */
    record RawResponse(int status, Map<String, String> headers, byte[] body, long elapsedMs, String error) {
        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Sends {@code head} then {@code pieces} (pausing {@code pauseMs} between pieces) from a writer thread while this
     * thread reads the answer, so an answer given before the body is all sent (413) is read, not lost to a reset.
     * Every connect, read and the whole exchange are bounded.
     */
    static RawResponse exchange(int port, byte[] head, List<byte[]> pieces, long pauseMs, boolean halfClose)
            throws IOException, InterruptedException {
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(10_000);
            AtomicReference<IOException> writeError = new AtomicReference<>();
            OutputStream out = socket.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(head);
                    out.flush();
                    for (int i = 0; i < pieces.size(); i++) {
                        if (i > 0 && pauseMs > 0) {
                            Thread.sleep(pauseMs);
                        }
                        out.write(pieces.get(i));
                        out.flush();
                    }
                    if (halfClose) {
                        socket.shutdownOutput();
                    }
                } catch (IOException e) {
                    writeError.set(e); // the server may answer (413) and close before the body is all sent
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "hostile-corpus-writer");
            writer.setDaemon(true);
            writer.start();
            RawResponse response;
            try {
                response = read(socket.getInputStream(), started);
            } catch (IOException e) {
                response = new RawResponse(-1, Map.of(), new byte[0], elapsed(started), e + (writeError.get() == null
                        ? "" : " (writer: " + writeError.get() + ")"));
            }
            writer.join(5_000);
            return response;
        }
    }

    private static long elapsed(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    private static RawResponse read(InputStream in, long started) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            return new RawResponse(-1, Map.of(), new byte[0], elapsed(started), "connection closed without an answer");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line(in).split(";")[0].strip(), 16); size > 0;
                    size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) {
                b.write(in.readNBytes(size));
                line(in);
            }
            body = b.toByteArray();
        } else {
            body = in.readNBytes(1 << 20);
        }
        return new RawResponse(status, headers, body, elapsed(started), null);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c != '\r') {
                b.write(c);
            }
            if (b.size() > 16_384) {
                throw new IOException("header line longer than 16 KiB");
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** The body as HTTP/1.1 chunks of {@code size} bytes, with the last (empty) chunk. */
    static List<byte[]> chunked(byte[] body, int size) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < body.length; i += size) {
            int n = Math.min(size, body.length - i);
            ByteArrayOutputStream b = new ByteArrayOutputStream(n + 16);
            b.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.write(body, i, n);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.add(b.toByteArray());
        }
        out.add("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    /** The body in {@code n} pieces of about equal size. */
    static List<byte[]> pieces(byte[] body, int n) {
        List<byte[]> out = new ArrayList<>();
        int size = Math.max(1, (body.length + n - 1) / n);
        for (int i = 0; i < body.length; i += size) {
            out.add(java.util.Arrays.copyOfRange(body, i, Math.min(body.length, i + size)));
        }
        return out;
    }
}
