package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;

/** Images in memory, made and opened through the driver as the registry would. */
final class TestImages {
    static final VpcDriver DRIVER = new VpcDriver();

    private TestImages() {
    }

    /** A new image of {@code size} bytes made with create options {@code options}. */
    static MemoryBlockFile create(long size, String options) throws IOException {
        MemoryBlockFile file = new MemoryBlockFile("test.vhd");
        DRIVER.create(new CreateRequest(file, size, Options.parse(options, DRIVER.createOptions())));
        return file;
    }

    /** Opens a new handle on {@code content}, writable unless {@code readOnly}. */
    static BlockImage open(MemoryBlockFile content, boolean readOnly, String options) throws IOException {
        return open(content.reopen(readOnly), options);
    }

    static BlockImage open(BlockFile file, String options) throws IOException {
        return DRIVER.open(new OpenRequest(file, file.isReadOnly(), Options.parse(options, DRIVER.openOptions())));
    }

    static BlockImage open(MemoryBlockFile content) throws IOException {
        return open(content, false, "");
    }

    /** @return {@code length} bytes of the image at {@code offset} */
    static byte[] read(BlockImage image, long offset, int length) throws IOException {
        byte[] bytes = new byte[length];
        image.read(offset, ByteBuffer.wrap(bytes));
        return bytes;
    }

    /** @return {@code length} bytes of a repeatable pattern that differs per {@code seed} */
    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
        }
        if (length > 0 && bytes[0] == 0) {
            bytes[0] = 1;
        }
        return bytes;
    }

    /** @return whether bytes {@code [from, to)} are all zero */
    static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** @return whether the buffer's remaining bytes are all zero */
    static boolean isZero(ByteBuffer buffer) {
        return buffer.hasArray() ? isZero(buffer.array(), buffer.arrayOffset() + buffer.position(),
                buffer.arrayOffset() + buffer.limit()) : buffer.mismatch(ByteBuffer.allocate(buffer.remaining())) < 0;
    }
}
