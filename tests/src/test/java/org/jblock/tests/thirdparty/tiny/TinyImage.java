package org.jblock.tests.thirdparty.tiny;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.spi.support.AbstractBlockImage;

/** An open tiny image: the disk is the file after the header. */
final class TinyImage extends AbstractBlockImage {
    private final TinyHeader header;

    TinyImage(BlockFile file, boolean readOnly, TinyHeader header) {
        super(TinyDriver.NAME, file, readOnly);
        this.header = header;
    }

    @Override
    protected long doSize() throws IOException {
        return header.diskSize();
    }

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        file().readFully(dst, TinyHeader.SIZE + offset);
    }

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        file().write(src, TinyHeader.SIZE + offset);
    }

    @Override
    protected List<Extent> doBlockStatus(long offset, long length) {
        return List.of(Extent.data(offset, length, TinyHeader.SIZE + offset));
    }

    @Override
    protected ImageInfo doInfo() {
        return new ImageInfo(TinyDriver.NAME, header.diskSize(), 0, Map.of("version", TinyHeader.VERSION));
    }
}
