package org.jblock.shell.io;

import java.util.Locale;

/** The lines qemu-io prints about a finished request: the two-line report, the CSV line and hex dumps. */
final class Reports {
    private static final long NANOS_PER_MICRO = 1_000L;
    private static final long MICROS_PER_SECOND = 1_000_000L;

    private Reports() {
    }

    /**
     * @param op          "read", "wrote" or "discard"
     * @param elapsedNanos how long the request took
     * @param count       the bytes asked for
     * @param total       the bytes moved
     * @param ops         how many requests
     * @param csv         the machine-readable single line ({@code -C})
     */
    static String report(String op, long elapsedNanos, long offset, long count, long total, int ops, boolean csv) {
        long micros = Math.max(1, elapsedNanos / NANOS_PER_MICRO);
        double seconds = micros / (double) MICROS_PER_SECOND;
        double bytesPerSecond = total / seconds;
        double opsPerSecond = ops / seconds;
        if (csv) {
            return total + "," + ops + "," + time(micros, true) + "," + QemuNumbers.fixed(bytesPerSecond, 3)
                    + "," + QemuNumbers.fixed(opsPerSecond, 3) + "\n";
        }
        return op + " " + total + "/" + count + " bytes at offset " + offset + "\n"
                + QemuNumbers.humanSize(total) + ", " + ops + " ops; " + time(micros, false)
                + " (" + QemuNumbers.humanSize(bytesPerSecond) + "/sec and " + QemuNumbers.fixed(opsPerSecond, 4)
                + " ops/sec)\n";
    }

    /** qemu-io's {@code timestr}: {@code 00.12 sec} below a second, else {@code H:MM:SS.ss}. */
    static String time(long micros, boolean alwaysClock) {
        long wholeSeconds = micros / MICROS_PER_SECOND;
        double secondsInMinute = (wholeSeconds % 60) + (micros % MICROS_PER_SECOND) / (double) MICROS_PER_SECOND;
        String seconds = padded(QemuNumbers.fixed(secondsInMinute, 2), 5);
        if (wholeSeconds == 0 && !alwaysClock) {
            return seconds + " sec";
        }
        return String.format(Locale.ROOT, "%d:%02d:%s", wholeSeconds / 3600, (wholeSeconds % 3600) / 60, seconds);
    }

    private static String padded(String number, int width) {
        StringBuilder sb = new StringBuilder(number);
        while (sb.length() < width) {
            sb.insert(0, '0');
        }
        return sb.toString();
    }

    /**
     * qemu-io's {@code -v} dump: 16 bytes a line, the offset in hex, the bytes in hex, then the
     * letters and digits among them ({@code .} for anything else).
     */
    static String hexDump(byte[] data, int from, int length, long offset) {
        StringBuilder sb = new StringBuilder(length * 5);
        for (int line = 0; line < length; line += 16) {
            int n = Math.min(16, length - line);
            sb.append(String.format(Locale.ROOT, "%08x:  ", offset + line));
            for (int i = 0; i < n; i++) {
                sb.append(Character.forDigit((data[from + line + i] >> 4) & 0xf, 16))
                        .append(Character.forDigit(data[from + line + i] & 0xf, 16)).append(' ');
            }
            sb.append(' ');
            for (int i = 0; i < n; i++) {
                char c = (char) (data[from + line + i] & 0xff);
                sb.append(c < 128 && Character.isLetterOrDigit(c) ? c : '.');
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
