package org.jblock.api.layer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.IoBuffers;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * Copy-on-read over a layered image (QEMU's {@code copy-on-read=on}, qemu-io's {@code -C} and the
 * {@code copy-on-read} filter): a read of a range the image's own layer does not hold writes what it
 * read into that layer ({@link BlockImage#writeCopyOnRead}), so the next read finds it there and
 * block status shows it at depth 0. What the read returns is what the image held.
 *
 * <p>As in QEMU, the range copied is the read widened to whole clusters ({@code info().clusterSize()},
 * else 512-byte sectors), and within it only the runs not already in the top layer are read and
 * written, in pieces of at most {@value #MAX_COPY} bytes, so that a read of any size costs a bounded
 * buffer beside the caller's; runs of zeros are written as zeros (which a format may keep as nothing
 * where its backing image reads zeros too, as a VHD does), and a run block status reports as zeros
 * is not read. A read whose copy cannot be written fails with the write's error.
 *
 * <p>Copies are made one at a time, and writes through this image wait for them (QEMU serialises
 * a copy-on-read with overlapping requests): a copy never puts the chain's old data over a newer
 * write. Reads of what the top layer holds run in parallel. Every other request passes through.
 */
public final class CopyOnRead extends DelegatingBlockImage {
    /** The largest piece copied at once: QEMU's bounce buffer limit. */
    static final int MAX_COPY = 16 << 20;
    private static final int SECTOR = 512;

    private final long cluster;
    /**
     * Held while a copy is made and while this node writes: a copy is what the chain held when the
     * copy's range was last found missing from the top layer, never older than a write through this node.
     */
    private final Object copying = new Object();

    private CopyOnRead(BlockImage image, long cluster) {
        super(image);
        this.cluster = cluster;
    }

    /**
     * @param image the image, owned from now on (closed here when this call fails)
     * @throws InvalidOptionException when the image is read-only: a copy could not be written
     */
    public static CopyOnRead over(BlockImage image) throws IOException {
        try {
            if (image.isReadOnly()) {
                throw new InvalidOptionException("Can't use copy-on-read on read-only device");
            }
            long cluster = image.info().clusterSize();
            return new CopyOnRead(image, cluster >= SECTOR && cluster <= MAX_COPY ? cluster : SECTOR);
        } catch (IOException | RuntimeException e) {
            try {
                image.close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long length = dst.remaining();
        long size = size();
        if (length == 0 || offset < 0 || offset > size || length > size - offset) {
            super.read(offset, dst);     // the image refuses a bad range as it always does
            return;
        }
        int base = dst.position();
        long end = offset + length;
        long at = offset - offset % cluster;
        long copyEnd = Math.min(size, ((end + cluster - 1) / cluster) * cluster);
        while (at < copyEnd) {
            List<Extent> runs = delegate.blockStatus(at, Math.min(copyEnd - at, MAX_COPY));
            for (Extent run : runs) {
                if (inTop(run)) {
                    readInto(dst, base, offset, end, run.start(), run.end());
                } else {
                    synchronized (copying) {
                        // Asked again under the lock: a write through this node may have filled
                        // the run since, and a copy must never overwrite it.
                        for (Extent now : delegate.blockStatus(run.start(), run.length())) {
                            if (inTop(now)) {
                                readInto(dst, base, offset, end, now.start(), now.end());
                            } else {
                                copyUp(dst, base, offset, end, now);
                            }
                        }
                    }
                }
                at = run.end();
            }
            if (runs.isEmpty()) {
                throw new IOException(name() + ": no block status at offset " + at);
            }
        }
        dst.position(base + (int) length);
    }

    private static boolean inTop(Extent run) {
        return run.depth() == 0 && run.allocated();
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        synchronized (copying) {
            super.write(offset, src);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        synchronized (copying) {
            super.writeZeroes(offset, length, mayUnmap);
        }
    }

    @Override
    public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
        synchronized (copying) {
            super.writeCopyOnRead(offset, src, allZero);
        }
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        synchronized (copying) {
            super.discard(offset, length);
        }
    }

    /** Reads the part of {@code [from, to)} the caller asked for straight into its buffer. */
    private void readInto(ByteBuffer dst, int base, long offset, long end, long from, long to) throws IOException {
        long start = Math.max(from, offset);
        long stop = Math.min(to, end);
        if (start < stop) {
            int position = base + (int) (start - offset);
            delegate.read(start, dst.duplicate().position(position).limit(position + (int) (stop - start)).slice());
        }
    }

    /**
     * Reads {@code [from, to)} through the chain, writes it into the top layer, and gives the caller
     * its part. A run the chain reports as zeros is not read: zeros are written.
     */
    private void copyUp(ByteBuffer dst, int base, long offset, long end, Extent run) throws IOException {
        long from = run.start();
        long to = run.end();
        boolean knownZero = run.zero() && !run.data();
        ByteBuffer bounce = ByteBuffer.allocate((int) Math.min(MAX_COPY, to - from));
        for (long at = from; at < to; ) {
            int n = (int) Math.min(bounce.capacity(), to - at);
            bounce.clear().limit(n);
            if (!knownZero) {
                delegate.read(at, bounce);
                bounce.flip();
            }
            delegate.writeCopyOnRead(at, bounce.duplicate(), knownZero || IoBuffers.isZero(bounce));
            long start = Math.max(at, offset);
            long stop = Math.min(at + n, end);
            if (start < stop) {
                int position = base + (int) (start - offset);
                dst.duplicate().position(position)
                        .put(bounce.duplicate().position((int) (start - at)).limit((int) (stop - at)));
            }
            at += n;
        }
    }
}
