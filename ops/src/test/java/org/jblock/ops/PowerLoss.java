package org.jblock.ops;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;

/**
 * A power supply shared by several files: after the {@code writesAllowed}-th write to any of them,
 * nothing more reaches any of them (writes, truncates and flushes fail). With no limit it counts the
 * writes of an operation, so a test can cut it at every point.
 */
final class PowerLoss {
    private final int writesAllowed;
    private int writes;

    PowerLoss(int writesAllowed) {
        this.writesAllowed = writesAllowed;
    }

    synchronized int writes() {
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

    /** {@code file}, on this power supply. */
    BlockFile feed(BlockFile file) {
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
            public void flush() throws IOException {
                beforeFlush();
                delegate.flush();
            }
        };
    }
}
