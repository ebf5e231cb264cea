package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlockFile} does: the contract of the protocol layer, run against each
 * implementation. A protocol's author extends it (in test scope) and says how to make a file.
 */
public abstract class BlockFileContract {
    private static final int THREADS = 8;

    /** @return a new writable file holding {@code content} */
    protected abstract BlockFile newFile(byte[] content) throws IOException;

    /** @return a new read-only handle on the same storage as {@code file} */
    protected abstract BlockFile reopenReadOnly(BlockFile file) throws IOException;

    /**
     * @return whether the storage has a fixed size (an NBD export): then a write past the end and a
     *         resize must be refused, and the tests that need room get it from {@link #newFile}
     */
    protected boolean fixedSize() {
        return false;
    }

    /** @return a new writable file with room for {@code room} bytes: empty if it grows, that many zeros if it cannot */
    private BlockFile fileWithRoom(int room) throws IOException {
        return newFile(new byte[fixedSize() ? room : 0]);
    }

    protected static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected static byte[] readAll(BlockFile file) throws IOException {
        byte[] all = new byte[(int) file.size()];
        file.readFully(ByteBuffer.wrap(all), 0);
        return all;
    }

    @Test
    void reads_up_to_the_end_and_reports_end_of_file_past_it() throws Exception {
        byte[] content = pattern(100, 1);
        try (BlockFile file = newFile(content)) {
            ByteBuffer dst = ByteBuffer.allocate(64);
            assertEquals(10, file.read(dst, 90));
            assertArrayEquals(Arrays.copyOfRange(content, 90, 100), Arrays.copyOf(dst.array(), 10));
            assertEquals(-1, file.read(ByteBuffer.allocate(8), 100));
            assertEquals(-1, file.read(ByteBuffer.allocate(8), 5000));
        }
    }

    @Test
    void read_fully_names_the_file_and_offset_when_the_file_ends_first() throws Exception {
        try (BlockFile file = newFile(pattern(100, 2))) {
            EOFException e = assertThrows(EOFException.class, () -> file.readFully(ByteBuffer.allocate(64), 90));
            assertEquals(file.name() + ": unexpected end of file at offset 100 (file size 100)", e.getMessage());
        }
    }

    @Test
    void a_write_past_the_end_extends_the_file_and_the_gap_reads_as_zeros() throws Exception {
        byte[] content = pattern(100, 3);
        try (BlockFile file = newFile(content)) {
            if (fixedSize()) {
                assertThrows(InvalidRequestException.class, () -> file.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 1000));
                assertThrows(InvalidRequestException.class, () -> file.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 98));
                assertEquals(100, file.size());
                assertArrayEquals(content, readAll(file), "a refused write changes nothing");
                return;
            }
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 1000);

            assertEquals(1004, file.size());
            byte[] all = readAll(file);
            assertArrayEquals(content, Arrays.copyOf(all, 100));
            assertArrayEquals(new byte[900], Arrays.copyOfRange(all, 100, 1000));
            assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOfRange(all, 1000, 1004));
        }
    }

    @Test
    void truncate_grows_with_zeros_and_shrinks_dropping_the_tail() throws Exception {
        byte[] content = pattern(200_000, 4);
        try (BlockFile file = newFile(content)) {
            if (fixedSize()) {
                assertThrows(UnsupportedFeatureException.class, () -> file.truncate(300_000));
                assertThrows(UnsupportedFeatureException.class, () -> file.truncate(70_000));
                assertDoesNotThrow(() -> file.truncate(200_000), "its own size is no resize");
                assertEquals(200_000, file.size());
                assertArrayEquals(content, readAll(file), "a refused resize changes nothing");
                return;
            }
            file.truncate(300_000);
            assertEquals(300_000, file.size());
            byte[] grown = readAll(file);
            assertArrayEquals(content, Arrays.copyOf(grown, content.length));
            assertArrayEquals(new byte[100_000], Arrays.copyOfRange(grown, 200_000, 300_000));

            file.truncate(70_000);
            assertEquals(70_000, file.size());
            assertArrayEquals(Arrays.copyOf(content, 70_000), readAll(file));
        }
    }

    @Test
    void bytes_dropped_by_a_shrink_read_as_zeros_after_growing_again() throws Exception {
        byte[] content = pattern(200_000, 5);
        try (BlockFile file = newFile(content)) {
            if (fixedSize()) {
                assertThrows(UnsupportedFeatureException.class, () -> file.truncate(70_001));
                assertArrayEquals(content, readAll(file), "a refused shrink drops nothing");
                return;
            }
            file.truncate(70_001);
            file.truncate(200_000);

            byte[] all = readAll(file);
            assertArrayEquals(Arrays.copyOf(content, 70_001), Arrays.copyOf(all, 70_001));
            assertArrayEquals(new byte[200_000 - 70_001], Arrays.copyOfRange(all, 70_001, 200_000));
        }
    }

    @Test
    void concurrent_positional_reads_and_writes_of_disjoint_ranges_keep_every_byte() throws Exception {
        int region = 96 * 1024 + 13;
        try (BlockFile file = fileWithRoom(THREADS * region)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        writeAndCheckRegion(file, thread, region);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals((long) THREADS * region, file.size());
            byte[] all = readAll(file);
            for (int t = 0; t < THREADS; t++) {
                assertArrayEquals(pattern(region, 1000 + t), Arrays.copyOfRange(all, t * region, (t + 1) * region),
                        "region of thread " + t);
            }
        }
    }

    /** Writes the region in uneven pieces, reading each piece back at once. */
    private static void writeAndCheckRegion(BlockFile file, int thread, int region) throws IOException {
        byte[] expected = pattern(region, 1000 + thread);
        long base = (long) thread * region;
        int at = 0;
        int piece = 1;
        while (at < region) {
            int n = Math.min(piece, region - at);
            file.write(ByteBuffer.wrap(expected, at, n), base + at);
            ByteBuffer back = ByteBuffer.allocate(n);
            file.readFully(back, base + at);
            if (!Arrays.equals(back.array(), Arrays.copyOfRange(expected, at, at + n))) {
                throw new AssertionError("thread " + thread + " read back other bytes at " + (base + at));
            }
            at += n;
            piece = piece * 3 + 7;
        }
    }

    @Test
    void a_read_only_handle_refuses_writes_and_truncation_and_changes_nothing() throws Exception {
        byte[] content = pattern(1000, 6);
        try (BlockFile writable = newFile(content); BlockFile file = reopenReadOnly(writable)) {
            assertTrue(file.isReadOnly());
            assertFalse(writable.isReadOnly());
            assertThrows(ReadOnlyImageException.class, () -> file.write(ByteBuffer.allocate(10), 0));
            ReadOnlyImageException e = assertThrows(ReadOnlyImageException.class, () -> file.truncate(10));
            assertEquals(file.name() + ": Block node is read-only", e.getMessage());
            assertDoesNotThrow(file::flush);
            assertArrayEquals(content, readAll(file));
        }
    }

    @Test
    void refuses_negative_offsets() throws Exception {
        try (BlockFile file = newFile(pattern(10, 7))) {
            assertThrows(InvalidRequestException.class, () -> file.read(ByteBuffer.allocate(1), -1));
            assertThrows(InvalidRequestException.class, () -> file.write(ByteBuffer.allocate(1), -1));
            assertThrows(InvalidRequestException.class, () -> file.truncate(-1));
            assertEquals(10, file.size());
        }
    }

    @Test
    void use_after_close_fails_with_image_closed_and_closing_twice_is_harmless() throws Exception {
        BlockFile file = newFile(pattern(10, 8));
        file.close();
        assertDoesNotThrow(file::close);

        ImageClosedException e = assertThrows(ImageClosedException.class, () -> file.read(ByteBuffer.allocate(1), 0));
        assertEquals(file.name() + ": image is closed", e.getMessage());
        assertThrows(ImageClosedException.class, () -> file.write(ByteBuffer.allocate(1), 0));
        assertThrows(ImageClosedException.class, file::size);
        assertThrows(ImageClosedException.class, () -> file.truncate(0));
        assertThrows(ImageClosedException.class, file::flush);
    }

    @Test
    void flushed_writes_are_seen_by_another_handle() throws Exception {
        byte[] content = pattern(5000, 9);
        try (BlockFile file = fileWithRoom(content.length)) {
            file.write(ByteBuffer.wrap(content), 0);
            file.flush();
            try (BlockFile other = reopenReadOnly(file)) {
                assertArrayEquals(content, readAll(other));
            }
        }
    }

    @Test
    void hole_reports_never_call_written_bytes_a_hole() throws Exception {
        try (BlockFile file = fileWithRoom(1 << 20)) {
            if (!fixedSize()) {
                file.truncate(1 << 20);
            }
            file.write(ByteBuffer.wrap(pattern(100, 10)), 300_000);

            assertTrue(file.seekData(0) <= 300_000, "the written bytes must not be skipped");
            for (long at = 300_000; at < 300_100; at += 33) {
                assertEquals(at, file.seekData(at));
                assertTrue(file.seekHole(at) >= 300_100, "a hole reported inside written bytes at " + at);
            }
            assertEquals(file.size(), file.seekData(file.size()));
            assertEquals(file.size(), file.seekHole(file.size()));
        }
    }
}
