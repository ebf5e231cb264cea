package org.jblock.api;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * Byte counts as people write them: {@code 512}, {@code 64k}, {@code 1.5G}, {@code 2040G}.
 *
 * <p>Suffixes are binary and case-insensitive: k/K = 2^10, M = 2^20, G = 2^30, T = 2^40, P = 2^50,
 * E = 2^60; an optional trailing {@code B} is allowed ({@code 64KB}); {@code b} or no suffix means
 * bytes. A fraction is allowed with a suffix and must come out whole in bytes. One parser serves the
 * drivers' options and both tools.
 */
public final class Sizes {
    private static final String UNITS = "BKMGTPE";

    private Sizes() {
    }

    /**
     * @return the size in bytes
     * @throws InvalidOptionException naming {@code text} when it is not a size or exceeds
     *                                {@code Long.MAX_VALUE}
     */
    public static long parse(String text) throws InvalidOptionException {
        String s = text == null ? "" : text.trim();
        int end = s.length();
        int shift = 0;
        if (end > 0 && Character.isLetter(s.charAt(end - 1))) {
            char last = Character.toUpperCase(s.charAt(end - 1));
            if (last == 'B' && end > 1 && Character.isLetter(s.charAt(end - 2))) {
                end--;
                last = Character.toUpperCase(s.charAt(end - 1));
            }
            int unit = UNITS.indexOf(last);
            if (unit < 0) {
                throw notASize(text);
            }
            shift = unit * 10;
            end--;
        }
        String number = s.substring(0, end);
        if (number.isEmpty() || !number.matches("[0-9]+(\\.[0-9]+)?")) {
            throw notASize(text);
        }
        BigDecimal bytes = new BigDecimal(number).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new InvalidOptionException("Parsing error: argument too large -- " + text);
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new InvalidOptionException("Parsing error: size is not a whole number of bytes -- " + text);
        }
    }

    private static InvalidOptionException notASize(String text) {
        return new InvalidOptionException(
                "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- " + text);
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
