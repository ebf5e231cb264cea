package org.jblock.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.InvalidOptionException;
import org.jblock.api.Options;

/**
 * The one parser of QEMU's option syntaxes for images, used by every tool: {@code --image-opts}
 * strings and {@code json:{...}} filenames, both made into flat maps with QEMU's dotted keys
 * ({@code file.filename}, {@code file.server.path}) that {@link DriverRegistry#open(Map, OpenSpec)}
 * takes.
 */
public final class ImageOpts {
    /** The pseudo-protocol prefix of a filename that holds options as a JSON object. */
    public static final String JSON_PREFIX = "json:";

    /**
     * An option string, parsed.
     *
     * @param options  the keys and values, in the order given
     * @param warnings lines to show the user (QEMU's deprecation of short-form booleans), each
     *                 already worded; empty when there are none
     */
    public record Parsed(Map<String, String> options, List<String> warnings) {
        public Parsed {
            options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
            warnings = List.copyOf(warnings);
        }
    }

    private ImageOpts() {
    }

    /** @return whether {@code filename} is a {@code json:} filename */
    public static boolean isJson(String filename) {
        return filename.startsWith(JSON_PREFIX);
    }

    /**
     * Parses an {@code --image-opts} string: {@code key=value,key=value}, where {@code ,,} is a comma
     * inside a value. A bare word {@code w} means {@code w=on}, as in QEMU, with QEMU's warning; an
     * option string of bare words alone names no image (QEMU: {@code Cannot find device=...}).
     *
     * @throws InvalidOptionException for an empty key, or a string that names no image
     */
    public static Parsed parse(String text) throws InvalidOptionException {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        String firstBareWord = null;
        for (String item : Options.items(text)) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                if (firstBareWord == null) {
                    firstBareWord = item;
                }
                warnings.add("short-form boolean option '" + item + "' deprecated\nPlease use " + item
                        + "=on instead");
                options.put(item, "on");
                continue;
            }
            String key = item.substring(0, eq);
            if (key.isEmpty()) {
                throw new InvalidOptionException("Invalid option list: '" + text + "' (an option without a name)");
            }
            options.put(key, item.substring(eq + 1));
        }
        if (firstBareWord != null && options.keySet().stream().noneMatch(k -> k.equals(Protocols.DRIVER)
                || k.equals("file") || k.startsWith("file.") || k.equals(Protocols.FILENAME))) {
            throw new InvalidOptionException("Cannot find device='" + firstBareWord + "' nor node-name='"
                    + firstBareWord + "'");
        }
        return new Parsed(options, warnings);
    }

    /**
     * Parses a {@code json:{...}} filename into flat options: nested objects become dotted keys
     * ({@code {"file":{"driver":"file"}}} is {@code file.driver=file}), array elements get their
     * index ({@code a.0}), {@code true}/{@code false} become {@code on}/{@code off}, numbers keep
     * their text.
     *
     * @throws InvalidOptionException with QEMU's messages: {@code Could not parse the JSON options:
     *         JSON parse error, ...} or {@code Invalid JSON object given}
     */
    public static Map<String, String> json(String filename) throws InvalidOptionException {
        String text = isJson(filename) ? filename.substring(JSON_PREFIX.length()) : filename;
        Object value = new JsonReader(text).document();
        if (!(value instanceof Map)) {
            throw new InvalidOptionException("Invalid JSON object given");
        }
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", value, flat);
        return flat;
    }

    /**
     * Writes flat options as the {@code json:{...}} filename that stands for them, nested at the dots,
     * in QEMU's style and member order ({@code json:{"driver": "vpc", "file": {"driver": "file",
     * "filename": "a.vhd"}}}, see {@link QemuJson}): how an image opened by options is named again
     * (QEMU's {@code image:} line, a reopen).
     *
     * @throws InvalidOptionException when a key is both a value and a parent of others ({@code file}
     *         and {@code file.filename})
     */
    public static String jsonName(Map<String, String> options) throws InvalidOptionException {
        Map<String, Object> tree = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String[] path = e.getKey().split("\\.", -1);
            Map<String, Object> node = tree;
            for (int i = 0; i < path.length - 1; i++) {
                Object child = node.computeIfAbsent(path[i], k -> new LinkedHashMap<String, Object>());
                if (!(child instanceof Map)) {
                    throw conflict(e.getKey());
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> next = (Map<String, Object>) child;
                node = next;
            }
            if (node.putIfAbsent(path[path.length - 1], e.getValue()) != null) {
                throw conflict(e.getKey());
            }
        }
        StringBuilder out = new StringBuilder(JSON_PREFIX);
        write(tree, out);
        return out.toString();
    }

    private static InvalidOptionException conflict(String key) {
        return new InvalidOptionException("Option '" + key + "' is given both as a value and with sub-options");
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Map) {
            out.append('{');
            String separator = "";
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value;
            for (Map.Entry<String, Object> e : QemuJson.membersInOrder(object)) {
                out.append(separator);
                QemuJson.appendString(out, e.getKey());
                out.append(": ");
                write(e.getValue(), out);
                separator = ", ";
            }
            out.append('}');
        } else {
            QemuJson.appendString(out, value.toString());
        }
    }

    private static void flatten(String prefix, Object value, Map<String, String> into) throws InvalidOptionException {
        if (value instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                flatten(prefix + e.getKey() + ".", e.getValue(), into);
            }
        } else if (value instanceof List) {
            List<?> list = (List<?>) value;
            for (int i = 0; i < list.size(); i++) {
                flatten(prefix + i + ".", list.get(i), into);
            }
        } else {
            String key = prefix.substring(0, prefix.length() - 1);
            if (value == null) {
                throw new InvalidOptionException("Invalid parameter type for '" + key + "', expected: a value, not null");
            }
            into.put(key, value instanceof Boolean ? ((Boolean) value ? "on" : "off") : value.toString());
        }
    }

    /**
     * A small JSON reader: objects (as ordered maps), arrays, strings, numbers (kept as their text),
     * true, false and null. Nesting is bounded, so hostile input cannot exhaust the stack.
     */
    private static final class JsonReader {
        private static final int MAX_DEPTH = 64;
        private final String text;
        private int at;
        private int depth;

        JsonReader(String text) {
            this.text = text;
        }

        Object document() throws InvalidOptionException {
            Object value = value();
            space();
            if (at < text.length()) {
                throw error("unexpected '" + text.charAt(at) + "' after the value");
            }
            return value;
        }

        private Object value() throws InvalidOptionException {
            space();
            if (at >= text.length()) {
                if (text.isBlank()) {
                    throw new InvalidOptionException("Could not parse the JSON options: Expecting a JSON value");
                }
                throw error("premature EOI");
            }
            char c = text.charAt(at);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                case '\'':
                    return string();
                default:
                    if (c == '-' || Character.isDigit(c)) {
                        return number();
                    }
                    return keyword();
            }
        }

        private Map<String, Object> object() throws InvalidOptionException {
            enter();
            at++;
            Map<String, Object> map = new LinkedHashMap<>();
            space();
            if (peek('}')) {
                at++;
                depth--;
                return map;
            }
            while (true) {
                space();
                if (at >= text.length()) {
                    throw error("premature EOI");
                }
                if (text.charAt(at) != '"' && text.charAt(at) != '\'') {
                    keyword();
                    throw error("key is not a string in object");
                }
                String key = string();
                space();
                if (!peek(':')) {
                    throw error(at >= text.length() ? "premature EOI" : "missing : in object pair");
                }
                at++;
                map.put(key, value());
                space();
                if (peek(',')) {
                    at++;
                } else {
                    expect('}');
                    depth--;
                    return map;
                }
            }
        }

        private List<Object> array() throws InvalidOptionException {
            enter();
            at++;
            List<Object> list = new ArrayList<>();
            space();
            if (peek(']')) {
                at++;
                depth--;
                return list;
            }
            while (true) {
                list.add(value());
                space();
                if (peek(',')) {
                    at++;
                } else {
                    expect(']');
                    depth--;
                    return list;
                }
            }
        }

        private String string() throws InvalidOptionException {
            char quote = text.charAt(at++);
            StringBuilder out = new StringBuilder();
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == quote) {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    break;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u':
                        if (at + 4 > text.length()) {
                            throw error("invalid escape sequence in string");
                        }
                        try {
                            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("invalid escape sequence in string");
                        }
                        at += 4;
                        break;
                    default:
                        out.append(e);
                }
            }
            throw error("premature EOI");
        }

        private String number() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            return text.substring(start, at);
        }

        private Object keyword() throws InvalidOptionException {
            int start = at;
            while (at < text.length() && Character.isLetterOrDigit(text.charAt(at))) {
                at++;
            }
            String word = text.substring(start, Math.max(at, Math.min(start + 1, text.length())));
            switch (word) {
                case "true":
                    return Boolean.TRUE;
                case "false":
                    return Boolean.FALSE;
                case "null":
                    return null;
                default:
                    throw error("invalid keyword '" + word + "'");
            }
        }

        private void enter() throws InvalidOptionException {
            if (++depth > MAX_DEPTH) {
                throw error("nesting too deep");
            }
        }

        private void space() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private boolean peek(char c) {
            return at < text.length() && text.charAt(at) == c;
        }

        private void expect(char c) throws InvalidOptionException {
            if (!peek(c)) {
                throw error(at >= text.length() ? "premature EOI" : "expecting '" + c + "'");
            }
            at++;
        }

        private InvalidOptionException error(String what) {
            return new InvalidOptionException("Could not parse the JSON options: JSON parse error, " + what);
        }
    }
}
