package org.jblock.driver.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import org.jblock.api.BlockFile;
import org.jblock.api.Extent;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * An open raw image: byte {@code n} of the virtual disk is byte {@code start + n} of the file. With
 * QEMU's {@code offset} and {@code size} options the disk is a window of the file (a partition of
 * a whole-disk image, say); without them it is the whole file.
 */
final class RawImage extends AbstractBlockImage {
    /** Where the disk starts in the file. */
    private final long start;
    /** The disk's size when given; -1: the disk runs to the end of the file. */
    private final long fixedSize;

    RawImage(BlockFile file, boolean readOnly, long start, long fixedSize) {
        super("raw", file, readOnly);
        this.start = start;
        this.fixedSize = fixedSize;
    }

    @Override
    protected long doSize() throws IOException {
        return fixedSize >= 0 ? fixedSize : Math.max(0, file().size() - start);
    }

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        file().readFully(dst, start + offset);
    }

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        file().write(src, start + offset);
    }

    /** The storage zeroes: a file that can punches a hole or zeroes a range, an NBD server is asked to. */
    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        file().writeZeroes(start + offset, length, mayUnmap);
    }

    /**
     * Passed to the storage, as QEMU's raw format passes it to its file: a local file punches a hole
     * where the file system can (reading zeros afterwards), an NBD server is sent a trim.
     */
    @Override
    protected void doDiscard(long offset, long length) throws IOException {
        file().discard(start + offset, length);
    }

    /** As cheap as the storage's zeroing: {@link BlockFile.Capability#WRITE_ZEROES}. */
    @Override
    protected boolean doZeroesCheaply(long offset, long length) throws IOException {
        return file().capabilities().contains(BlockFile.Capability.WRITE_ZEROES);
    }

    /** The file itself: byte {@code n} of the disk is byte {@code start + n} of the file, as the host offsets say. */
    @Override
    public Optional<BlockFile> hostStorage() {
        return Optional.of(file());
    }

    /** The storage's data and holes ({@link #extentsOfStorage}). */
    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        return extentsOfStorage(offset, length, start);
    }

    /** The file ends where the disk does; a disk of a given size is a window that cannot grow or shrink. */
    @Override
    protected void doResize(long newSize) throws IOException {
        if (fixedSize >= 0) {
            throw new UnsupportedFeatureException("Cannot resize fixed-size raw disks");
        }
        file().truncate(start + newSize);
    }
}
