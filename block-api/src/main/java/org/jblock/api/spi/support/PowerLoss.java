package org.jblock.api.spi.support;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;

/**
 * A power supply for crash tests: the files {@linkplain #feed fed} by it lose power together after
 * the {@code writesAllowed}-th change to any of them. That change and every one before it reached
 * the storage; nothing after does (writes, truncates, write-zeroes and discards fail, and so do
 * flushes). With no limit ({@link Integer#MAX_VALUE}) it counts the changes an operation makes, so
 * a test can cut the operation at every one of them and check what a crash there leaves: the way
 * jblock's drivers prove their write order.
 */
public final class PowerLoss {
    private final int writesAllowed;
    private int writes;

    /** @param writesAllowed how many changes reach the storage before the power goes */
    public PowerLoss(int writesAllowed) {
        this.writesAllowed = writesAllowed;
    }

    /** @return how many changes reached the storage */
    public synchronized int writes() {
        return writes;
    }

    private synchronized void beforeWrite() throws IOException {
        if (writes >= writesAllowed) {
            throw new IOException("simulated power loss after write " + writesAllowed);
        }
        writes++;
    }

    private synchronized void beforeFlush() throws IOException {
        if (writes >= writesAllowed) {
            throw new IOException("simulated power loss before a flush");
        }
    }

    /** @return {@code file}, on this power supply */
    public BlockFile feed(BlockFile file) {
        return new DelegatingBlockFile(file) {
            @Override
            public void write(ByteBuffer src, long position) throws IOException {
                beforeWrite();
                delegate.write(src, position);
            }

            @Override
            public void truncate(long size) throws IOException {
                beforeWrite();
                delegate.truncate(size);
            }

            @Override
            public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
                beforeWrite();
                delegate.writeZeroes(offset, length, mayUnmap);
            }

            @Override
            public void discard(long offset, long length) throws IOException {
                beforeWrite();
                delegate.discard(offset, length);
            }

            @Override
            public void flush() throws IOException {
                beforeFlush();
                delegate.flush();
            }
        };
    }
}
