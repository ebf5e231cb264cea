package org.jblock.shell.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.function.Consumer;

import org.jblock.api.InvalidOptionException;
import org.jblock.api.Sizes;

/**
 * Numbers as qemu-io reads them: byte counts with binary suffixes (its {@code cvtnum}), pattern
 * bytes and millisecond counts. Each parse failure carries qemu-io's message for it. Whole numbers
 * as C reads them serve qemu-nbd's options too ({@link #strtolWhole}).
 */
public final class QemuNumbers {
    /** The largest request the block layer accepts (QEMU's BDRV_REQUEST_MAX_BYTES). */
    static final long REQUEST_MAX_BYTES = 2147483136L;


    private QemuNumbers() {
    }

    /** A number a command could not read; the message is qemu-io's wording. */
    static final class BadNumberException extends Exception {
        private static final long serialVersionUID = 1L;

        BadNumberException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads a byte count as qemu-io's {@code cvtnum} does: {@link Sizes#parse}, QEMU's own rules.
     *
     * @param warnings receives qemu's deprecation warning for a suffix on a hex number
     */
    static long byteCount(String text, Consumer<String> warnings) throws BadNumberException {
        if (Sizes.isHexWithSuffix(text)) {
            warnings.accept("warning: Using a multiplier suffix on hex numbers is deprecated: " + text);
        }
        try {
            return Sizes.parse(text);
        } catch (InvalidOptionException e) {
            throw new BadNumberException(e.getMessage());
        }
    }

    /** A pattern byte as C's {@code strtol(text, 0)} reads it: decimal, 0x hex or 0 octal, 0 to 255. */
    static int patternByte(String text) throws BadNumberException {
        Long value = strtolWhole(text, true);
        if (value == null || value < 0 || value > 255) {
            throw new BadNumberException(text + " is not a valid pattern byte");
        }
        return value.intValue();
    }

    /** A non-negative whole number as {@code strtol(text, 0)} reads it, or null when it is not one. */
    public static Long strtolWhole(String text, boolean allowLeadingSpace) {
        String s = allowLeadingSpace ? text.stripLeading() : text;
        boolean negative = false;
        int i = 0;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        if (s.startsWith("0x", i) || s.startsWith("0X", i)) {
            radix = 16;
            i += 2;
        } else if (s.startsWith("0", i) && s.length() > i + 1) {
            radix = 8;
            i++;
        }
        if (i >= s.length()) {
            return null;
        }
        try {
            BigInteger v = new BigInteger(s.substring(i), radix);
            if (v.bitLength() > 62) {
                return null;
            }
            return negative ? -v.longValue() : v.longValue();
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * @return {@code bytes} the way qemu-io's {@code cvtstr} prints sizes and rates: three decimals
     *         in the largest binary unit ({@code 64.016 MiB}), plain bytes below 1 KiB, with a
     *         {@code .000} tail dropped ({@code 64 KiB}, {@code 512 bytes})
     */
    static String humanSize(double bytes) {
        String[] units = {" EiB", " PiB", " TiB", " GiB", " MiB", " KiB"};
        for (int i = 0; i < units.length; i++) {
            double unit = Math.pow(1024, 6 - i);
            if (bytes >= unit) {
                return trimmed(fixed(bytes / unit, 3), units[i]);
            }
        }
        return trimmed(fixed(bytes, 6), " bytes");
    }

    private static String trimmed(String number, String suffix) {
        int cut = number.indexOf(".000");
        return (cut >= 0 ? number.substring(0, cut) : number) + suffix;
    }

    /** C's {@code %.Nf}: rounds the exact binary value half to even, prints {@code inf} for infinity. */
    static String fixed(double value, int decimals) {
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (Double.isNaN(value)) {
            return "nan";
        }
        return new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    }
}
