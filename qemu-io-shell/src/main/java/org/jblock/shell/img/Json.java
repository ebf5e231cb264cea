package org.jblock.shell.img;

import java.io.PrintWriter;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.registry.QemuJson;

/**
 * JSON output, laid out like qemu-img's: four-space indent, {@code "key": value}, an empty object or
 * array as {@code { }} or {@code [ ]}. A value is a {@link String}, a {@link Number}, a
 * {@link Boolean}, null, a {@link List} of values or a {@link Map} from names to values, written in
 * its iteration order ({@link #object()} keeps insertion order); strings are escaped as QEMU escapes
 * them ({@link QemuJson}).
 *
 * <p>Written here rather than by a JSON library: the tools only ever write these few shapes, and
 * every start of a tool pays for the classes its start-up cache holds (a library's some 400
 * classes cost each start some 8 ms).
 */
final class Json {
    private static final String INDENT = "    ";

    private Json() {
    }

    /** @return an empty object that keeps its members in the order they are put */
    static Map<String, Object> object() {
        return new LinkedHashMap<>();
    }

    /** Prints {@code value} over several lines. */
    static void print(PrintWriter out, Object value) {
        StringBuilder text = new StringBuilder();
        write(text, value, 0);
        out.println(text);
    }

    /**
     * @return an object on one line as qemu-img lays it out ({@code map --output=json}):
     *         {@code { "start": 0, "length": 512, "data": true}}, which scripts match as text
     */
    static String oneLine(Map<String, ?> object) {
        StringBuilder text = new StringBuilder("{ ");
        for (Iterator<? extends Map.Entry<String, ?>> members = object.entrySet().iterator(); members.hasNext(); ) {
            Map.Entry<String, ?> member = members.next();
            QemuJson.appendString(text, member.getKey());
            text.append(": ");
            write(text, member.getValue(), 0);
            text.append(members.hasNext() ? ", " : "");
        }
        return text.append('}').toString();
    }

    private static void write(StringBuilder text, Object value, int depth) {
        if (value == null) {
            text.append("null");
        } else if (value instanceof String s) {
            QemuJson.appendString(text, s);
        } else if (value instanceof Number || value instanceof Boolean) {
            text.append(value);
        } else if (value instanceof Map<?, ?> map) {
            text.append('{');
            int i = 0;
            for (Map.Entry<?, ?> member : map.entrySet()) {
                text.append(i++ == 0 ? "\n" : ",\n").append(INDENT.repeat(depth + 1));
                QemuJson.appendString(text, String.valueOf(member.getKey()));
                text.append(": ");
                write(text, member.getValue(), depth + 1);
            }
            end(text, map.isEmpty(), depth, '}');
        } else if (value instanceof List<?> list) {
            text.append('[');
            int i = 0;
            for (Object element : list) {
                text.append(i++ == 0 ? "\n" : ",\n").append(INDENT.repeat(depth + 1));
                write(text, element, depth + 1);
            }
            end(text, list.isEmpty(), depth, ']');
        } else {
            // The values an ImageInfo or a report holds are the types above; anything else is a bug.
            throw new IllegalArgumentException("no JSON form for a " + value.getClass().getName());
        }
    }

    private static void end(StringBuilder text, boolean empty, int depth, char bracket) {
        text.append(empty ? " " : "\n" + INDENT.repeat(depth)).append(bracket);
    }
}
