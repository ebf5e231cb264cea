package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** What memory files do beyond the protocol contract (which runs in the tests module). */
class MemoryBlockFileTest {
    private static final long TIB = 1L << 40;

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static BlockFile newFile(byte[] content) throws IOException {
        return MemoryBlockFile.of("mem.img", content);
    }

    private static BlockFile reopenReadOnly(BlockFile file) {
        return ((MemoryBlockFile) file).reopen(true);
    }

    @Test
    void content_outlives_a_closed_handle() throws Exception {
        byte[] content = pattern(70_000, 20);
        MemoryBlockFile file = MemoryBlockFile.of("mem.img", content);
        file.close();

        try (MemoryBlockFile again = file.reopen(false)) {
            again.write(ByteBuffer.wrap(new byte[] {9}), 70_000);
            assertEquals("mem.img", again.name());
            assertArrayEquals(content, java.util.Arrays.copyOf(again.toByteArray(), 70_000));
        }
        try (MemoryBlockFile reader = file.reopen(true)) {
            assertEquals(70_001, reader.size());
            assertThrows(ReadOnlyImageException.class, () -> reader.write(ByteBuffer.allocate(1), 0));
        }
    }

    @Test
    void a_huge_sparse_file_costs_only_the_pages_written() throws Exception {
        try (MemoryBlockFile file = new MemoryBlockFile("big")) {
            file.truncate(2 * TIB);
            file.write(ByteBuffer.wrap(new byte[] {7}), 2 * TIB - 1);

            ByteBuffer tail = ByteBuffer.allocate(4);
            file.readFully(tail, 2 * TIB - 4);
            assertArrayEquals(new byte[] {0, 0, 0, 7}, tail.array());
            assertEquals(2 * TIB, file.size());
            InvalidRequestException e = assertThrows(InvalidRequestException.class, file::toByteArray);
            assertEquals("big: too large for a byte array (" + 2 * TIB + " bytes)", e.getMessage());
        }
    }

    @Test
    void reports_pages_never_written_as_holes() throws Exception {
        int page = 1 << 16;
        try (MemoryBlockFile file = new MemoryBlockFile("holes")) {
            file.truncate(10L * page);
            file.write(ByteBuffer.wrap(new byte[] {1}), 3L * page + 5);
            file.write(ByteBuffer.wrap(new byte[] {1}), 4L * page);

            assertEquals(3L * page, file.seekData(0));
            assertEquals(3L * page + 10, file.seekData(3L * page + 10));
            assertEquals(0, file.seekHole(0));
            assertEquals(5L * page, file.seekHole(3L * page));
            assertEquals(10L * page, file.seekData(5L * page));
            assertEquals(10L * page, file.seekHole(10L * page + 1));
        }
    }

    @Test
    void a_new_memory_file_is_empty_and_named_memory() throws Exception {
        try (MemoryBlockFile file = new MemoryBlockFile()) {
            assertEquals("memory", file.name());
            assertEquals(0, file.size());
            assertEquals(-1, file.read(ByteBuffer.allocate(1), 0));
        }
    }
}
