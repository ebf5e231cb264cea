package org.jblock.protocol.blkdebug;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;

/**
 * The storage under a blkdebug node: every request passes the {@link Injector} first, and the
 * node fires the events QEMU's block layer fires on a node it writes to or flushes
 * ({@code pwritev} before and {@code pwritev_done} after a write; {@code flush_to_os} and
 * {@code flush_to_disk} around a flush). A query for data or holes is a {@code block-status} request.
 */
final class BlkdebugFile extends DelegatingBlockFile {
    private final Injector injector;
    private final String name;

    BlkdebugFile(BlockFile image, Injector injector, String name) {
        super(image);
        this.injector = injector;
        this.name = name;
    }

    /** None, as QEMU's blkdebug tells none ({@code disk size: unavailable}). */
    @Override
    public long allocatedSize() {
        return -1;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        injector.check(IoType.READ, position, dst.remaining());
        return super.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        injector.write(IoType.WRITE, position, src.remaining(), () -> super.write(src, position));
    }

    @Override
    public void flush() throws IOException {
        injector.flush(super::flush);
    }

    @Override
    public long seekData(long position) throws IOException {
        injector.check(IoType.BLOCK_STATUS, position, 1);
        return super.seekData(position);
    }

    @Override
    public long seekHole(long position) throws IOException {
        injector.check(IoType.BLOCK_STATUS, position, 1);
        return super.seekHole(position);
    }

    @Override
    public String name() {
        return name;
    }
}
