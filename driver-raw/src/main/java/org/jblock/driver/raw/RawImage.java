package org.jblock.driver.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import org.jblock.api.BlockFile;
import org.jblock.api.Extent;
import org.jblock.api.spi.support.AbstractBlockImage;

/** An open raw image: every byte of the virtual disk is the same byte of the file. */
final class RawImage extends AbstractBlockImage {

    RawImage(BlockFile file, boolean readOnly) {
        super("raw", file, readOnly);
    }

    @Override
    protected long doSize() throws IOException {
        return file().size();
    }

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        file().readFully(dst, offset);
    }

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        file().write(src, offset);
    }

    /** The storage zeroes: a file that can punches a hole or zeroes a range, an NBD server is asked to. */
    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        file().writeZeroes(offset, length, mayUnmap);
    }

    /** As cheap as the storage's zeroing: {@link BlockFile.Capability#WRITE_ZEROES}. */
    @Override
    protected boolean doZeroesCheaply(long offset, long length) throws IOException {
        return file().capabilities().contains(BlockFile.Capability.WRITE_ZEROES);
    }

    /** The file itself: byte {@code n} of the disk is byte {@code n} of the file. */
    @Override
    public Optional<BlockFile> hostStorage() {
        return Optional.of(file());
    }

    /** The storage's data and holes ({@link #extentsOfStorage}). */
    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        return extentsOfStorage(offset, length);
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        file().truncate(newSize);
    }
}
