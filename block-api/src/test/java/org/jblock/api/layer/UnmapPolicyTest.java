package org.jblock.api.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.layer.UnmapPolicy.DetectZeroes;
import org.jblock.api.layer.UnmapPolicy.Discard;
import org.jblock.api.spi.support.AbstractBlockImage;
import org.junit.jupiter.api.Test;

/** QEMU's {@code discard} and {@code detect-zeroes} over an image that records what reaches it. */
class UnmapPolicyTest {
    private static final int SIZE = 1 << 20;

    /** A raw image over memory, holding 0x5a everywhere, that records its writes, zero writes and discards. */
    private static final class Recorded extends AbstractBlockImage {
        final List<String> calls = new ArrayList<>();

        Recorded(boolean readOnly) throws IOException {
            super("raw", new MemoryBlockFile("disk"), readOnly);
            byte[] pattern = new byte[SIZE];
            java.util.Arrays.fill(pattern, (byte) 0x5a);
            file().write(ByteBuffer.wrap(pattern), 0);
        }

        @Override
        protected long doSize() {
            return SIZE;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            file().readFully(dst, offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            calls.add("write " + offset + "+" + src.remaining());
            file().write(src, offset);
        }

        @Override
        protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
            calls.add("zeroes " + offset + "+" + length + (mayUnmap ? " may unmap" : ""));
            file().write(ByteBuffer.allocate((int) length), offset);
        }

        @Override
        protected void doDiscard(long offset, long length) throws IOException {
            calls.add("discard " + offset + "+" + length);
            file().write(ByteBuffer.allocate((int) length), offset);
        }

        @Override
        public java.util.Optional<org.jblock.api.BlockFile> hostStorage() {
            return java.util.Optional.of(file());
        }

        @Override
        protected ImageInfo doInfo() {
            return new ImageInfo("raw", SIZE, 0, Map.of());
        }
    }

    private static byte[] read(BlockImage image, long offset, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        image.read(offset, bytes);
        return bytes.array();
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    @Test
    void whatAnImageDoesAnywayAddsNoLayer() throws IOException {
        Recorded writable = new Recorded(false);
        assertSame(writable, UnmapPolicy.over(writable, Discard.UNMAP, DetectZeroes.OFF));
        Recorded readOnly = new Recorded(true);
        assertSame(readOnly, UnmapPolicy.over(readOnly, Discard.IGNORE, DetectZeroes.ON));
    }

    @Test
    void ignoredDiscardsKeepTheDataAndZeroWritesKeepTheirStorage() throws IOException {
        Recorded below = new Recorded(false);
        try (BlockImage image = UnmapPolicy.over(below, Discard.IGNORE, DetectZeroes.OFF)) {
            image.discard(4096, 8192);
            image.writeZeroes(65536, 4096, true);
            image.write(131072, ByteBuffer.allocate(512));
            assertEquals(List.of("zeroes 65536+4096", "write 131072+512"), below.calls);
            assertArrayEquals(filled(8192, 0x5a), read(image, 4096, 8192), "a discarded range keeps its data");
            assertSame(below.hostStorage().orElseThrow(), image.hostStorage().orElseThrow(),
                    "reads are unchanged: a server may send the bytes from the storage");
        }
    }

    @Test
    void unmapPassesDiscardsAndUnmappingZeroWritesDown() throws IOException {
        Recorded below = new Recorded(false);
        try (BlockImage image = UnmapPolicy.over(below, Discard.UNMAP, DetectZeroes.ON)) {
            image.discard(4096, 8192);
            image.writeZeroes(65536, 4096, true);
            image.writeZeroes(69632, 4096, false);
            assertEquals(List.of("discard 4096+8192", "zeroes 65536+4096 may unmap", "zeroes 69632+4096"), below.calls);
        }
    }

    @Test
    void detectedZerosBecomeZeroWritesThatUnmapOnlyWhenAsked() throws IOException {
        Recorded below = new Recorded(false);
        try (BlockImage image = UnmapPolicy.over(below, Discard.IGNORE, DetectZeroes.ON)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(3 << 20).limit(4096 + 512).position(512);
            image.write(8192, zeros);
            assertEquals(0, zeros.remaining(), "the write consumed its buffer");
            ByteBuffer almost = ByteBuffer.allocate(4096);
            almost.put(4095, (byte) 1);
            image.write(16384, almost);
            assertEquals(List.of("zeroes 8192+4096", "write 16384+4096"), below.calls);
            assertArrayEquals(new byte[4096], read(image, 8192, 4096));
        }
        Recorded unmapped = new Recorded(false);
        try (BlockImage image = UnmapPolicy.over(unmapped, Discard.UNMAP, DetectZeroes.UNMAP)) {
            image.write(0, ByteBuffer.allocate(SIZE));
            assertEquals(List.of("zeroes 0+" + SIZE + " may unmap"), unmapped.calls);
        }
    }

    @Test
    void detectZeroesUnmapNeedsDiscardUnmapAsInQemu() throws IOException {
        Recorded below = new Recorded(false);
        InvalidOptionException refused = assertThrows(InvalidOptionException.class,
                () -> UnmapPolicy.over(below, Discard.IGNORE, DetectZeroes.UNMAP));
        assertEquals("setting detect-zeroes to unmap is not allowed without setting discard operation to unmap",
                refused.getMessage());
    }

    @Test
    void modesHaveQemusNames() {
        assertEquals(Discard.IGNORE, Discard.parse("ignore"));
        assertEquals(Discard.IGNORE, Discard.parse("off"));
        assertEquals(Discard.UNMAP, Discard.parse("unmap"));
        assertEquals(Discard.UNMAP, Discard.parse("on"));
        assertNull(Discard.parse("ON"));
        assertEquals(DetectZeroes.OFF, DetectZeroes.parse("off"));
        assertEquals(DetectZeroes.ON, DetectZeroes.parse("on"));
        assertEquals(DetectZeroes.UNMAP, DetectZeroes.parse("unmap"));
        assertNull(DetectZeroes.parse("ignore"));
    }
}
