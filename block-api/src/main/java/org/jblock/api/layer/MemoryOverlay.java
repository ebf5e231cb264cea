package org.jblock.api.layer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * A writable layer in memory over any image: every write lands in the overlay, gone on close, so the
 * image under it never changes (qemu-io's snapshot mode, {@code -s}, and QEMU's {@code -snapshot}).
 * The base is the overlay's {@linkplain #backing() backing image}: block status reports the
 * overlay's own runs at depth 0 and the base's one layer deeper.
 *
 * <p>The overlay keeps whole 512-byte sectors: the first write to a sector copies the rest of it
 * from the image. Requests are serialized; the overlay is for trying things, not for speed.
 */
public final class MemoryOverlay extends AbstractBlockImage {
    private static final int SECTOR = 512;
    /** A BitSet counts sectors with an int. */
    private static final long MAX_SIZE = (long) Integer.MAX_VALUE * SECTOR;

    private final BlockImage base;
    private final BitSet written = new BitSet();

    private MemoryOverlay(BlockImage base, String format) {
        super(format, new MemoryBlockFile(base.name() + " (snapshot)"), false);
        this.base = base;
    }

    /**
     * @param base the image, opened read-only or not (it is never written); owned (and closed) by the
     *             overlay from now on, also when this call fails
     * @throws UnsupportedFeatureException when the image is too large for the overlay (over 1 TiB)
     */
    public static MemoryOverlay over(BlockImage base) throws IOException {
        try {
            if (base.size() > MAX_SIZE) {
                throw new UnsupportedFeatureException("an overlay in memory serves images up to 1 TiB");
            }
            return new MemoryOverlay(base, base.info().format());
        } catch (IOException | RuntimeException e) {
            base.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    protected long doSize() throws IOException {
        return base.size();
    }

    @Override
    protected synchronized void doRead(long offset, ByteBuffer dst) throws IOException {
        long at = offset;
        while (dst.hasRemaining()) {
            boolean inOverlay = written.get(sector(at));
            long runEnd = runEnd(at, inOverlay, at + dst.remaining());
            ByteBuffer part = dst.slice().limit((int) (runEnd - at));
            if (inOverlay) {
                file().readFully(part, at);
            } else {
                base.read(at, part);
            }
            dst.position(dst.position() + (int) (runEnd - at));
            at = runEnd;
        }
    }

    @Override
    protected synchronized void doWrite(long offset, ByteBuffer src) throws IOException {
        long last = offset + src.remaining() - 1;
        copyUp(sector(offset));
        copyUp(sector(last));
        file().write(src, offset);
        written.set(sector(offset), sector(last) + 1);
    }

    /** Brings a sector into the overlay before part of it is overwritten. */
    private void copyUp(int sector) throws IOException {
        if (written.get(sector)) {
            return;
        }
        long start = (long) sector * SECTOR;
        ByteBuffer copy = ByteBuffer.allocate((int) Math.min(SECTOR, size() - start));
        base.read(start, copy);
        file().write(copy.flip(), start);
        written.set(sector);
    }

    /** Written sectors are this layer's data; the rest is the image's, not allocated in this layer. */
    @Override
    protected synchronized List<Extent> doBlockStatus(long offset, long length) throws IOException {
        List<Extent> extents = new ArrayList<>();
        long end = offset + length;
        for (long at = offset; at < end; ) {
            boolean inOverlay = written.get(sector(at));
            long runEnd = runEnd(at, inOverlay, end);
            if (inOverlay) {
                extents.add(new Extent(at, runEnd - at, true, false, true, OptionalLong.empty()));
            } else {
                extents.addAll(Extent.fromBacking(base, at, runEnd - at));
            }
            at = runEnd;
        }
        return extents;
    }

    @Override
    public Optional<BlockImage> backing() {
        return Optional.of(base);
    }

    @Override
    protected ImageInfo doInfo() throws IOException {
        return base.info();
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        throw new UnsupportedFeatureException("an image with an overlay in memory cannot be resized");
    }

    @Override
    protected void doClose() throws IOException {
        base.close();
    }

    /** @return where the run of sectors that are all in the overlay (or all not) from {@code at} ends, capped at {@code limit} */
    private long runEnd(long at, boolean inOverlay, long limit) {
        int next = inOverlay ? written.nextClearBit(sector(at)) : written.nextSetBit(sector(at));
        return next < 0 ? limit : Math.min((long) next * SECTOR, limit);
    }

    private static int sector(long offset) {
        return (int) (offset / SECTOR);
    }
}
