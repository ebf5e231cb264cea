package org.jblock.registry;

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
}
