package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;

/**
 * A {@link BlockFile} that loses power after its {@code writesAllowed}-th write: that write and every
 * one before it reached the storage, nothing after does (writes, truncates and flushes fail). With
 * no limit it counts the writes of a sequence, so a test can crash it at every point.
 */
final class CrashingBlockFile extends DelegatingBlockFile {
    private final int writesAllowed;
    private int writes;

    CrashingBlockFile(BlockFile delegate, int writesAllowed) {
        super(delegate);
        this.writesAllowed = writesAllowed;
    }

    /** @return how many writes (and truncates) reached the storage */
    synchronized int writes() {
        return writes;
    }

    private synchronized void beforeWrite() throws IOException {
        if (writes >= writesAllowed) {
            throw new IOException(name() + ": simulated power loss after write " + writesAllowed);
        }
        writes++;
    }

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
        synchronized (this) {
            if (writes >= writesAllowed) {
                throw new IOException(name() + ": simulated power loss before a flush");
            }
        }
        delegate.flush();
    }
}
