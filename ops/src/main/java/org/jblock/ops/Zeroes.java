package org.jblock.ops;

import java.nio.ByteBuffer;

/**
 * Zero detection without copying: a range of a buffer is compared against a shared read-only buffer
 * of zeros with {@link ByteBuffer#mismatch}, which the JDK runs vectorized.
 *
 * <p>Each call has a fixed cost (two slices and the memory-access checks of a direct buffer), which
 * at 4 KiB granules is larger than the comparison itself: long ranges are scanned in
 * {@link #STEP}-sized pieces, and data is told apart from zeros by its first eight bytes where it can.
 */
final class Zeroes {
    /** The largest range one call may test. */
    static final int MAX_RUN = 4 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(MAX_RUN).asReadOnlyBuffer();

    private Zeroes() {
    }

    /** @return whether {@code buffer[from, from+length)} holds only zeros; {@code length <= MAX_RUN} */
    static boolean isZero(ByteBuffer buffer, int from, int length) {
        return buffer.slice(from, length).mismatch(ZEROS.slice(0, length)) < 0;
    }

    /** Bytes compared per call when scanning a long range: large enough to hide the cost of a call. */
    static final int STEP = 64 << 10;

    /**
     * @return whether {@code buffer[from, from+length)} holds only zeros, rejecting data by its first
     *         eight bytes before comparing the rest ({@code length <= MAX_RUN})
     */
    static boolean isZeroGranule(ByteBuffer buffer, int from, int length) {
        if (length >= Long.BYTES && buffer.getLong(from) != 0) {
            return false;
        }
        return isZero(buffer, from, length);
    }

    /**
     * @return the index of the first non-zero byte of {@code buffer[from, to)}, or -1 when they are
     *         all zero
     */
    static int firstNonZero(ByteBuffer buffer, int from, int to) {
        for (int at = from; at < to; at += STEP) {
            int length = Math.min(STEP, to - at);
            int found = buffer.slice(at, length).mismatch(ZEROS.slice(0, length));
            if (found >= 0) {
                return at + found;
            }
        }
        return -1;
    }

    /** Sets {@code buffer[from, to)} to zeros ({@code to - from <= MAX_RUN}). */
    static void fill(ByteBuffer buffer, int from, int to) {
        buffer.put(from, ZEROS, 0, to - from);
    }

    /** @return a read-only buffer of {@code length} zeros ({@code length <= MAX_RUN}) */
    static ByteBuffer of(int length) {
        return ZEROS.slice(0, length);
    }
}
