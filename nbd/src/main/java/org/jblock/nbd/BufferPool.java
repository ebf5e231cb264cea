package org.jblock.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.IoBuffers;
import org.jblock.nbd.wire.Nbd;

/**
 * Direct buffers for request and reply data, kept for reuse: a direct buffer goes between the
 * image's file and the socket without the copy the JDK makes of a heap buffer on each side, and
 * reusing them spares allocating and zeroing one per request. Sizes are powers of two from 4 KiB
 * to the largest payload; at most {@code maxPooledBytes} wait in the pool, the rest are left to the
 * garbage collector.
 */
final class BufferPool {
    private static final int SMALLEST_SHIFT = 12;
    private static final int LARGEST_SHIFT = Integer.numberOfTrailingZeros(Nbd.MAX_PAYLOAD);

    private final long maxPooledBytes;
    private final AtomicLong pooledBytes = new AtomicLong();
    private final ConcurrentLinkedQueue<ByteBuffer>[] free;

    @SuppressWarnings("unchecked")
    BufferPool(long maxPooledBytes) {
        this.maxPooledBytes = maxPooledBytes;
        this.free = new ConcurrentLinkedQueue[LARGEST_SHIFT - SMALLEST_SHIFT + 1];
        for (int i = 0; i < free.length; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** @return a buffer with position 0 and limit {@code length} (at most {@link Nbd#MAX_PAYLOAD}) */
    ByteBuffer take(int length) {
        int shift = Math.max(SMALLEST_SHIFT, 32 - Integer.numberOfLeadingZeros(Math.max(length, 1) - 1));
        ByteBuffer buffer = free[shift - SMALLEST_SHIFT].poll();
        if (buffer == null) {
            buffer = IoBuffers.allocate(1 << shift);
        } else {
            pooledBytes.addAndGet(-buffer.capacity());
        }
        return buffer.clear().limit(length);
    }

    /** Takes back a buffer from {@link #take} once nothing uses it any more. */
    void give(ByteBuffer buffer) {
        int capacity = buffer.capacity();
        if (pooledBytes.addAndGet(capacity) > maxPooledBytes) {
            pooledBytes.addAndGet(-capacity);
            return;
        }
        free[Integer.numberOfTrailingZeros(capacity) - SMALLEST_SHIFT].offer(buffer);
    }
}
