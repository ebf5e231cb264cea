package org.jblock.registry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * JSON strings written as QEMU writes them, so that jblock's JSON matches qemu-img's byte for byte:
 * the {@code json:} names of images opened by options ({@link ImageOpts#jsonName}) and the tools'
 * {@code --output=json}. Scripts compare such output as text, and a file name with an accent or a
 * tab in it must come out the same from both tools.
 *
 * <p>The rule, read off qemu-img 7.2: {@code "} and {@code \} are escaped with a backslash;
 * backspace, form feed, newline, carriage return and tab by their short escapes; every other
 * character below U+0020 or from U+007F on as {@code \}{@code uXXXX} with upper-case hex digits (a
 * character beyond U+FFFF as its UTF-16 surrogate pair); the rest as it is.
 *
 * <p>QEMU writes an object's members in the order its dictionary keeps them: by a hash of the key
 * into 512 buckets, bucket by bucket, the member put last first within one ({@link #membersInOrder}).
 * That is the order of its {@code json:} names ({@code {"offset": "1M", "driver": "raw", ...}}).
 */
public final class QemuJson {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private QemuJson() {
    }

    /** Appends {@code text} to {@code out} as a quoted JSON string. */
    public static void appendString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** The buckets of QEMU's dictionary. */
    private static final int BUCKETS = 512;

    /**
     * @return the members of {@code object} in the order QEMU writes them (see the class comment);
     *         members of one bucket, the one put last first
     */
    public static <V> List<Map.Entry<String, V>> membersInOrder(Map<String, V> object) {
        List<Map.Entry<String, V>> members = new ArrayList<>(object.entrySet());
        Collections.reverse(members);
        // A stable sort: within a bucket the reversed insertion order stays.
        members.sort(Comparator.comparingInt(member -> bucket(member.getKey())));
        return members;
    }

    /** The bucket of {@code key}: QEMU's dictionary hash (the one of the tdb database) modulo 512. */
    static int bucket(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int value = 0x238F13AF * bytes.length;
        for (int i = 0; i < bytes.length; i++) {
            value += (bytes[i] & 0xff) << (i * 5 % 24);
        }
        return Integer.remainderUnsigned(1103515243 * value + 12345, BUCKETS);
    }
}
