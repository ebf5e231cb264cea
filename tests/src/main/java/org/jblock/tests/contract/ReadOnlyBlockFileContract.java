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
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.junit.jupiter.api.Test;

/**
 * What a {@link BlockFile} of a protocol that only reads (a web server) does: the reading half of
 * {@link BlockFileContract}, on storage the test fills by its own means. A read-only protocol's
 * author extends it (in test scope) and says how to put bytes where the protocol reads them.
 */
public abstract class ReadOnlyBlockFileContract {
    private static final int THREADS = 8;

    /** @return a new read-only handle on storage that holds {@code content} */
    protected abstract BlockFile openReadOnly(byte[] content) throws IOException;

    private static byte[] random(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] read(BlockFile file, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        file.readFully(buffer, offset);
        return buffer.array();
    }

    @Test
    void reads_anywhere_equal_the_content_and_past_the_end_is_end_of_file() throws Exception {
        byte[] content = random(700_001, 1);
        try (BlockFile file = openReadOnly(content)) {
            assertEquals(content.length, file.size());
            Random random = new Random(2);
            for (int i = 0; i < 50; i++) {
                int length = 1 + random.nextInt(200_000);
                int offset = random.nextInt(content.length - length + 1);
                assertArrayEquals(Arrays.copyOfRange(content, offset, offset + length), read(file, offset, length),
                        "bytes " + offset + "+" + length);
            }
            ByteBuffer tail = ByteBuffer.allocate(64);
            assertEquals(11, file.read(tail, content.length - 11));
            assertArrayEquals(Arrays.copyOfRange(content, content.length - 11, content.length),
                    Arrays.copyOf(tail.array(), 11));
            assertEquals(-1, file.read(ByteBuffer.allocate(8), content.length));
            assertEquals(-1, file.read(ByteBuffer.allocate(8), content.length + 5000L));
        }
    }

    @Test
    void read_fully_names_the_file_and_offset_when_it_ends_first() throws Exception {
        try (BlockFile file = openReadOnly(random(100, 3))) {
            EOFException e = assertThrows(EOFException.class, () -> file.readFully(ByteBuffer.allocate(64), 90));
            assertEquals(file.name() + ": unexpected end of file at offset 100 (file size 100)", e.getMessage());
        }
    }

    @Test
    void empty_storage_has_size_zero_and_reads_as_end_of_file() throws Exception {
        try (BlockFile file = openReadOnly(new byte[0])) {
            assertEquals(0, file.size());
            assertEquals(-1, file.read(ByteBuffer.allocate(1), 0));
        }
    }

    @Test
    void every_change_is_refused_as_read_only_and_changes_nothing() throws Exception {
        byte[] content = random(1000, 4);
        try (BlockFile file = openReadOnly(content)) {
            assertTrue(file.isReadOnly());
            assertFalse(file.capabilities().contains(BlockFile.Capability.WRITE));
            ReadOnlyImageException e = assertThrows(ReadOnlyImageException.class,
                    () -> file.write(ByteBuffer.allocate(10), 0));
            assertEquals(file.name() + ": Block node is read-only", e.getMessage());
            assertThrows(ReadOnlyImageException.class, () -> file.truncate(10));
            assertThrows(ReadOnlyImageException.class, () -> file.writeZeroes(0, 10, true));
            assertThrows(ReadOnlyImageException.class, () -> file.discard(0, 10));
            assertDoesNotThrow(file::flush);
            assertEquals(content.length, file.size());
            assertArrayEquals(content, read(file, 0, content.length));
        }
    }

    @Test
    void refuses_a_negative_offset() throws Exception {
        try (BlockFile file = openReadOnly(random(10, 5))) {
            assertThrows(InvalidRequestException.class, () -> file.read(ByteBuffer.allocate(1), -1));
        }
    }

    @Test
    void use_after_close_fails_with_image_closed_and_closing_twice_is_harmless() throws Exception {
        BlockFile file = openReadOnly(random(10, 6));
        file.close();
        assertDoesNotThrow(file::close);
        ImageClosedException e = assertThrows(ImageClosedException.class, () -> file.read(ByteBuffer.allocate(1), 0));
        assertEquals(file.name() + ": image is closed", e.getMessage());
        assertThrows(ImageClosedException.class, file::size);
        assertThrows(ImageClosedException.class, file::flush);
    }

    @Test
    void many_threads_reading_at_once_each_get_their_bytes() throws Exception {
        byte[] content = random(2_000_003, 7);
        try (BlockFile file = openReadOnly(content)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<String>> readers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int seed = t;
                    readers.add(pool.submit(() -> {
                        Random random = new Random(seed);
                        for (int i = 0; i < 40; i++) {
                            int length = 1 + random.nextInt(150_000);
                            int offset = random.nextInt(content.length - length + 1);
                            if (!Arrays.equals(Arrays.copyOfRange(content, offset, offset + length),
                                    read(file, offset, length))) {
                                return "wrong bytes at " + offset + "+" + length;
                            }
                        }
                        return "ok";
                    }));
                }
                for (Future<String> reader : readers) {
                    assertEquals("ok", reader.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void hole_reports_never_call_data_a_hole() throws Exception {
        byte[] content = random(300_000, 8);
        try (BlockFile file = openReadOnly(content)) {
            for (long at = 0; at < content.length; at += 49_999) {
                assertEquals(at, file.seekData(at), "data skipped at " + at);
                assertEquals(content.length, file.seekHole(at), "a hole reported in data at " + at);
            }
        }
    }

    @Test
    void transfer_sends_exactly_the_bytes_read_returns() throws Exception {
        byte[] content = random(3 << 20, 9);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (BlockFile file = openReadOnly(content)) {
            for (long[] range : new long[][] {{0, content.length}, {12_345, 2 << 20}, {content.length - 7, 7}, {100, 0}}) {
                long offset = range[0];
                int length = (int) range[1];
                Pipe pipe = Pipe.open();
                Future<byte[]> received = reader.submit(() -> {
                    try (Pipe.SourceChannel source = pipe.source()) {
                        return drain(source);
                    }
                });
                try (Pipe.SinkChannel sink = pipe.sink()) {
                    file.transferTo(offset, length, sink);
                }
                assertArrayEquals(Arrays.copyOfRange(content, (int) offset, (int) offset + length),
                        received.get(30, TimeUnit.SECONDS), "transferTo(" + offset + ", " + length + ")");
            }
            Pipe pipe = Pipe.open();
            Future<byte[]> received = reader.submit(() -> {
                try (Pipe.SourceChannel source = pipe.source()) {
                    return drain(source);
                }
            });
            try (Pipe.SinkChannel sink = pipe.sink()) {
                assertThrows(EOFException.class, () -> file.transferTo(content.length - 10, 20, sink),
                        "a transfer past the end");
            }
            assertTrue(received.get(30, TimeUnit.SECONDS).length <= 10, "nothing made up past the end");
        } finally {
            reader.shutdownNow();
        }
    }

    private static byte[] drain(ReadableByteChannel source) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
        while (source.read(buffer.clear()) >= 0) {
            all.write(buffer.array(), 0, buffer.position());
        }
        return all.toByteArray();
    }
}
