package com.example.foo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * The "foo" format: a {@value #HEADER}-byte header (the magic {@code FOOIMG}, then the disk size as
 * a big-endian long), then the disk, byte for byte. Replace it with your format.
 */
public final class FooDriver implements BlockDriver {
    static final int HEADER = 512;
    private static final byte[] MAGIC = "FOOIMG\0\0".getBytes(StandardCharsets.US_ASCII);

    public FooDriver() {
    }

    @Override
    public String name() {
        return "foo";
    }

    @Override
    public int probe(ProbeInput input) {
        ByteBuffer head = input.head();
        if (head.remaining() < MAGIC.length) {
            return 0;
        }
        byte[] magic = new byte[MAGIC.length];
        head.duplicate().get(magic);
        return Arrays.equals(magic, MAGIC) ? PROBE_CERTAIN : 0;
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(MAGIC).putLong(request.size());
        request.file().write(header.clear(), 0);
        request.file().truncate(HEADER + request.size());
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        BlockFile file = request.file();
        if (file.size() < HEADER) {
            throw new BlockException(file.name() + ": too short for a foo header");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        file.readFully(header, 0);
        byte[] magic = new byte[MAGIC.length];
        header.flip().get(magic);
        long size = header.getLong();
        if (!Arrays.equals(magic, MAGIC) || size < 0 || size > file.size() - HEADER) {
            throw new BlockException(file.name() + ": not a foo image");
        }
        return new FooImage(file, request.readOnly(), size);
    }

    /** The open image: reads and writes go to the file after the header. */
    private static final class FooImage extends AbstractBlockImage {
        private final long size;

        FooImage(BlockFile file, boolean readOnly, long size) {
            super("foo", file, readOnly);
            this.size = size;
        }

        @Override
        protected long doSize() {
            return size;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            file().readFully(dst, HEADER + offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            file().write(src, HEADER + offset);
        }
    }
}
