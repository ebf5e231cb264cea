package org.jblock.driver.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.Extent;
import org.jblock.api.spi.support.AbstractBlockImage;

/** An open raw image: every byte of the virtual disk is the same byte of the file. */
final class RawImage extends AbstractBlockImage {

    RawImage(BlockFile file, boolean readOnly) {
        super("raw", file, readOnly);
    }

    @Override
    public long size() throws IOException {
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

    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        List<Extent> extents = new ArrayList<>(1);
        extents.add(Extent.data(offset, length, offset));
        return extents;
    }

    @Override
    protected void doResize(long newSize) throws IOException {
        file().truncate(newSize);
    }
}
