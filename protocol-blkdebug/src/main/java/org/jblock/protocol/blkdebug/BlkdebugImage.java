package org.jblock.protocol.blkdebug;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * The virtual disk under a blkdebug node above a format: every request passes the {@link Injector}
 * first, over its whole range (block status too, as {@code iotype=block-status}), and the node fires
 * the events QEMU's block layer fires on it: {@code pwritev} and {@code pwritev_done} around a write
 * ({@code pwritev_zero} too for zeros), {@code flush_to_os} and {@code flush_to_disk} around a flush,
 * and {@code cor_write} before a copy-on-read writes what it read (checked as a write).
 */
final class BlkdebugImage extends DelegatingBlockImage {
    private final Injector injector;

    BlkdebugImage(BlockImage image, Injector injector) {
        super(image);
        this.injector = injector;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        injector.check(IoType.READ, offset, dst.remaining());
        super.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        injector.write(IoType.WRITE, offset, src.remaining(), () -> super.write(offset, src));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        injector.write(IoType.WRITE_ZEROES, offset, length, () -> super.writeZeroes(offset, length, mayUnmap));
    }

    @Override
    public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
        injector.fire(Event.COR_WRITE);
        injector.check(allZero ? IoType.WRITE_ZEROES : IoType.WRITE, offset, src.remaining());
        super.writeCopyOnRead(offset, src, allZero);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        injector.check(IoType.DISCARD, offset, length);
        super.discard(offset, length);
    }

    @Override
    public void flush() throws IOException {
        injector.flush(super::flush);
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws IOException {
        injector.check(IoType.BLOCK_STATUS, offset, length);
        return super.blockStatus(offset, length);
    }
}
