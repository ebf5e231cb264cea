package org.jblock.driver.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

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

    /**
     * Data wherever the storage may hold data; zero only where it reports a hole it knows for sure
     * ({@link BlockFile#seekHole}), so data is never reported as zeros.
     */
    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        List<Extent> extents = new ArrayList<>(1);
        long end = offset + length;
        long at = offset;
        while (at < end) {
            long data = Math.min(Math.max(file().seekData(at), at), end);
            if (data > at) {
                extents.add(new Extent(at, data - at, false, true, true, OptionalLong.of(at)));
            }
            if (data == end) {
                break;
            }
            long hole = Math.min(file().seekHole(data), end);
            // A storage whose hole report does not move on is taken at its word for nothing: data.
            long dataEnd = hole > data ? hole : end;
            extents.add(Extent.data(data, dataEnd - data, data));
            at = dataEnd;
        }
        return extents;
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        file().truncate(newSize);
    }
}
