package org.jblock.api.layer;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockImage;
import org.jblock.api.ThrottleGroup;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * An image whose reads, writes, zero writes and discards are admitted by a {@link ThrottleGroup}
 * first (QEMU's {@code throttle} filter): images throttled by one group share its limits. Flushes,
 * block status and the rest pass at once. Closing closes the image below.
 */
public final class Throttle extends DelegatingBlockImage {
    private final ThrottleGroup group;

    /** @param image the image below, owned from now on */
    public Throttle(BlockImage image, ThrottleGroup group) {
        super(image);
        this.group = group;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        group.account(false, dst.remaining());
        super.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        group.account(true, src.remaining());
        super.write(offset, src);
    }

    @Override
    public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
        group.account(true, src.remaining());
        super.writeCopyOnRead(offset, src, allZero);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        group.account(true, length);
        super.writeZeroes(offset, length, mayUnmap);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        group.account(true, length);
        super.discard(offset, length);
    }
}
