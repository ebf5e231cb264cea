package org.jblock.api;

import java.nio.ByteBuffer;

/**
 * Direct buffers for bulk data: what a copy, a compare or a server reads into and writes from.
 *
 * <p>The buffer's memory starts on a page boundary. {@link ByteBuffer#allocateDirect} returns
 * memory a few bytes past one (the C allocator's header), and the kernel copies file and socket
 * data into such memory much more slowly: reading a file on tmpfs into a 2 MiB buffer took four
 * times the kernel CPU of the same read into a page-aligned one on an AMD EPYC machine, and a
 * convert from an NBD export used a quarter less CPU in all (benchmarks/README.md, "Buffers on a
 * page boundary").
 */
public final class IoBuffers {
    /** The alignment given: a page on every machine jblock runs on, and a multiple of a cache line. */
    public static final int ALIGNMENT = 4096;

    private IoBuffers() {
    }

    /**
     * @return whether the bytes between {@code data}'s position and limit are all zero (true when
     *         there are none); the buffer's position and limit are left as they are
     */
    public static boolean isZero(ByteBuffer data) {
        ByteBuffer zeros = Zeros.BUFFER;
        for (int at = data.position(); at < data.limit(); at += zeros.capacity()) {
            int n = Math.min(zeros.capacity(), data.limit() - at);
            if (data.duplicate().position(at).limit(at + n).mismatch(zeros.duplicate().limit(n)) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * What {@link #isZero} compares against, a piece at a time: made on the first test, not by every
     * start that allocates a buffer.
     */
    private static final class Zeros {
        static final ByteBuffer BUFFER = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();
    }

    /**
     * @param capacity the bytes the buffer holds
     * @return a direct buffer of exactly {@code capacity} bytes, position 0, limit its capacity,
     *         whose first byte lies on a page boundary
     * @throws IllegalArgumentException if {@code capacity} is negative or too large for one buffer
     */
    public static ByteBuffer allocate(int capacity) {
        return allocate(capacity, ALIGNMENT);
    }

    /**
     * A buffer aligned as a device asks ({@code O_DIRECT} wants its block size).
     *
     * @param capacity  the bytes the buffer holds
     * @param alignment a power of two: where the first byte lies
     * @return a direct buffer of exactly {@code capacity} bytes, position 0, limit its capacity,
     *         whose first byte's address is a multiple of {@code alignment}
     * @throws IllegalArgumentException if {@code alignment} is not a power of two, or {@code capacity}
     *                                  is negative or too large for one buffer
     */
    public static ByteBuffer allocate(int capacity, int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment not a power of two: " + alignment);
        }
        if (capacity < 0 || capacity > Integer.MAX_VALUE - alignment) {
            throw new IllegalArgumentException("buffer capacity out of range: " + capacity);
        }
        ByteBuffer memory = ByteBuffer.allocateDirect(capacity + alignment - 1);
        int start = (alignment - memory.alignmentOffset(0, alignment)) % alignment;
        return memory.slice(start, capacity);
    }
}
