package org.jblock.shell.img;

import java.nio.ByteBuffer;

/**
 * Zero detection without copying: a range of a buffer is compared against a shared read-only buffer
 * of zeros with {@link ByteBuffer#mismatch}, which the JDK runs as a vectorized intrinsic.
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

    /**
     * @return the index of the first non-zero byte of {@code buffer[from, from+length)}, or -1 when
     *         they are all zero; {@code length <= MAX_RUN}
     */
    static int firstNonZero(ByteBuffer buffer, int from, int length) {
        int at = buffer.slice(from, length).mismatch(ZEROS.slice(0, length));
        return at < 0 ? -1 : from + at;
    }

    /** @return a read-only buffer of {@code length} zeros ({@code length <= MAX_RUN}) */
    static ByteBuffer of(int length) {
        return ZEROS.slice(0, length);
    }
}
