package org.jblock.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Byte counts as people write them, read the way QEMU reads them (its {@code qemu_strtosz}), so a
 * size that works with qemu-img or qemu-io works with jblock: {@code 512}, {@code 64k}, {@code 1.5G},
 * {@code 0x200}, {@code 2040G}.
 *
 * <p>A decimal number (leading zeros are not octal) or a {@code 0x} hex one, optionally after a
 * {@code +}; for decimals an optional fraction; then an optional suffix, binary and case-insensitive:
 * {@code b} = 1, {@code k} = 2^10, {@code M} = 2^20, {@code G} = 2^30, {@code T} = 2^40, {@code P} =
 * 2^50, {@code E} = 2^60. A fraction needs a multiplying suffix and is rounded down to whole bytes.
 * White space may come before the number (C's {@code strtoull} skips it, so {@code "\t8k"} is 8 KiB),
 * nothing may follow the suffix. One parser serves the drivers' options and both tools.
 */
public final class Sizes {
    private static final String SUFFIXES = "bkmgtpe";
    private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private Sizes() {
    }

    /**
     * @param text the size; white space after it is not a size (QEMU refuses {@code "1\r"} too)
     * @return the size in bytes
     * @throws InvalidOptionException with QEMU's message naming {@code text} when it is not a size
     *                                ({@code Parsing error: non-numeric argument, or
     *                                extraneous/unrecognized suffix -- text}) or exceeds
     *                                {@code Long.MAX_VALUE} ({@code Parsing error: argument too large -- text})
     */
    public static long parse(String text) throws InvalidOptionException {
        String s = text == null ? "" : text;
        int i = 0;
        while (i < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        i += s.startsWith("+", i) ? 1 : 0;
        boolean hex = isHex(s, i);
        int digitsStart = hex ? i + 2 : i;
        int j = digitsStart;
        while (j < s.length() && Character.digit(s.charAt(j), hex ? 16 : 10) >= 0) {
            j++;
        }
        if (j == digitsStart) {
            throw notASize(text);
        }
        BigInteger whole = new BigInteger(s.substring(digitsStart, j), hex ? 16 : 10);
        if (whole.compareTo(UINT64_MAX) > 0) {
            throw tooLarge(text);
        }
        String fraction = "";
        if (j < s.length() && s.charAt(j) == '.') {
            if (hex) {
                throw notASize(text);
            }
            int k = j + 1;
            while (k < s.length() && Character.isDigit(s.charAt(k))) {
                k++;
            }
            fraction = s.substring(j + 1, k);
            j = k;
        }
        int unit = 0;
        if (j < s.length()) {
            unit = SUFFIXES.indexOf(Character.toLowerCase(s.charAt(j)));
            if (unit < 0) {
                throw notASize(text);
            }
            j++;
        }
        boolean fractional = !fraction.isEmpty() && new BigInteger(fraction).signum() != 0;
        if (j != s.length() || (unit == 0 && fractional)) {
            throw notASize(text);
        }
        // BigDecimal only for a fraction: its class initialisation alone costs a command's start
        // several milliseconds, and most sizes are whole.
        BigInteger value = !fractional ? whole.shiftLeft(10 * unit)
                : new BigDecimal(whole + "." + fraction).multiply(BigDecimal.valueOf(1L << (10 * unit)))
                        .setScale(0, RoundingMode.FLOOR).toBigInteger();
        if (value.compareTo(INT64_MAX) > 0) {
            throw tooLarge(text);
        }
        return value.longValue();
    }

    /**
     * @return whether {@code text} is a hex number with a multiplying suffix ({@code 0x10k}), which
     *         QEMU still reads but warns is deprecated
     */
    public static boolean isHexWithSuffix(String text) {
        String s = text == null ? "" : text;
        int i = s.startsWith("+") ? 1 : 0;
        if (!isHex(s, i)) {
            return false;
        }
        int j = i + 2;
        while (j < s.length() && Character.digit(s.charAt(j), 16) >= 0) {
            j++;
        }
        return j < s.length() && SUFFIXES.indexOf(Character.toLowerCase(s.charAt(j))) > 0;
    }

    private static boolean isHex(String s, int at) {
        return s.length() >= at + 2 && s.charAt(at) == '0' && (s.charAt(at + 1) == 'x' || s.charAt(at + 1) == 'X');
    }

    private static InvalidOptionException notASize(String text) {
        return new InvalidOptionException(
                "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- " + text);
    }

    private static InvalidOptionException tooLarge(String text) {
        return new InvalidOptionException("Parsing error: argument too large -- " + text);
    }

    /**
     * @return {@code bytes} as qemu-img prints sizes: three significant digits in the binary unit
     *         that keeps the number below 1000, e.g. {@code 64 MiB}, {@code 1.99 TiB}, {@code 512 B},
     *         {@code 0.977 KiB} (1000 bytes)
     */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = bytes;
        int unit = 0;
        // Like qemu-img: move up a unit from 1000 on.
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        // C's "%g" drops trailing zeros (also before an exponent: 999.5 KiB is "1e+03 KiB" in qemu-img).
        return String.format(Locale.ROOT, "%.3g", value).replaceAll("(\\.[0-9]*?)0+(?=e|$)", "$1")
                .replaceAll("\\.(?=e|$)", "") + " " + units[unit];
    }
}
