package org.jblock.protocol.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockFile;
import org.jblock.api.UnsupportedFeatureException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local file opened with {@code cache.direct=on}: requests of any alignment, concurrent ones
 * included, do what they do through the page cache. (That the file really is open with
 * {@code O_DIRECT} is checked where the tools open it: the tests module's DirectIoInteropTest.)
 */
class DirectIoTest {
    @TempDir
    Path dir;

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void a_file_system_without_o_direct_is_refused_in_qemus_words() {
        Path proc = Path.of("/proc/version");
        Assumptions.assumeTrue(Files.isRegularFile(proc), "needs Linux's /proc");
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> LocalBlockFile.open(proc, true, true).close());
        assertEquals("Could not open '/proc/version': filesystem does not support O_DIRECT", e.getMessage());
    }

    /** Random reads and writes of any offset and length, direct and not, against a model of the bytes. */
    @Test
    void unaligned_requests_do_what_they_do_through_the_page_cache() throws Exception {
        Random random = new Random(7);
        byte[] model = pattern(100_000, 1);
        Path path = dir.resolve("r.img");
        Files.write(path, model);
        try (LocalBlockFile file = LocalBlockFile.open(path, false, true)) {
            for (int i = 0; i < 400; i++) {
                int at = random.nextInt(model.length + 20_000);
                int length = random.nextInt(i % 10 == 0 ? 300_000 : 9000) + 1;
                if (random.nextBoolean()) {
                    byte[] data = pattern(length, i);
                    ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data) : direct(data, random.nextInt(5));
                    file.write(src, at);
                    assertFalse(src.hasRemaining(), "a write leaves bytes behind");
                    if (at + length > model.length) {
                        model = Arrays.copyOf(model, at + length);
                    }
                    System.arraycopy(data, 0, model, at, length);
                } else {
                    ByteBuffer dst = random.nextBoolean() ? ByteBuffer.allocate(length)
                            : ByteBuffer.allocateDirect(length + 7).position(random.nextInt(7)).slice().limit(length);
                    int n = file.read(dst, at);
                    int expected = Math.max(0, Math.min(length, model.length - at));
                    assertEquals(expected == 0 ? -1 : expected, n, "read of " + length + " at " + at);
                    if (n > 0) {
                        byte[] got = new byte[n];
                        dst.flip().get(got);
                        assertArrayEquals(Arrays.copyOfRange(model, at, at + n), got, "read at " + at);
                    }
                }
                assertEquals(model.length, file.size(), "size after request " + i);
            }
        }
        assertArrayEquals(model, Files.readAllBytes(path), "the file read without O_DIRECT");
    }

    private static ByteBuffer direct(byte[] data, int misalign) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(data.length + misalign).position(misalign).slice();
        buffer.put(data).flip();
        return buffer;
    }

    /** Many threads write bytes of the same blocks at once: every read-modify-write keeps the others' bytes. */
    @Test
    void concurrent_unaligned_writes_to_one_block_lose_nothing() throws Exception {
        Path path = dir.resolve("c.img");
        Files.write(path, new byte[3 * 4096]);
        int threads = 8;
        int rounds = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (LocalBlockFile file = LocalBlockFile.open(path, false, true)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        // each thread owns every threads-th byte of the three blocks, and across a block boundary
                        int at = 4090 + thread + threads * (r % 700);
                        file.write(ByteBuffer.wrap(new byte[] {(byte) (thread + 1)}), at);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            ByteBuffer all = ByteBuffer.allocate(3 * 4096);
            file.readFully(all, 0);
            for (int t = 0; t < threads; t++) {
                for (int r = 0; r < rounds; r++) {
                    int at = 4090 + t + threads * (r % 700);
                    assertEquals(t + 1, all.get(at), "thread " + t + "'s byte at " + at + " was lost");
                }
            }
            assertEquals(3 * 4096, file.size());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Writes that grow the file by less than a block, at once: it ends where the furthest one ends. */
    @Test
    void concurrent_growing_writes_leave_the_file_as_long_as_the_furthest() throws Exception {
        Path path = dir.resolve("g.img");
        Files.write(path, new byte[1000]);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (LocalBlockFile file = LocalBlockFile.open(path, false, true)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int r = 0; r < 50; r++) {
                        file.write(ByteBuffer.wrap(new byte[] {7, 7, 7}), 1000 + (thread * 50 + r) * 301L);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            long end = 1000 + 199 * 301L + 3;
            assertEquals(end, file.size());
            ByteBuffer all = ByteBuffer.allocate((int) end);
            file.readFully(all, 0);
            for (int i = 0; i < 200; i++) {
                int at = 1000 + i * 301;
                assertEquals(7, all.get(at + 2), "write " + i + " was lost");
                if (i < 199) {
                    assertEquals(0, all.get(at + 3), "a gap after write " + i + " is not zeros");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void size_truncate_zeroes_and_transfer_stay_correct() throws Exception {
        byte[] content = pattern(50_000, 3);
        Path path = dir.resolve("t.img");
        Files.write(path, content);
        try (LocalBlockFile file = LocalBlockFile.open(path, false, true)) {
            assertFalse(file.capabilities().contains(BlockFile.Capability.TRANSFER),
                    "a direct file claims the page cache's sendfile");
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            file.transferTo(1234, 40_000, Channels.newChannel(sent));
            assertArrayEquals(Arrays.copyOfRange(content, 1234, 41_234), sent.toByteArray());

            file.writeZeroes(100, 10_000, true);
            file.writeZeroes(20_001, 5000, false);
            Arrays.fill(content, 100, 10_100, (byte) 0);
            Arrays.fill(content, 20_001, 25_001, (byte) 0);
            file.truncate(45_555);
            content = Arrays.copyOf(content, 45_555);
            file.truncate(60_001);
            content = Arrays.copyOf(content, 60_001);
            assertEquals(60_001, file.size());
            file.writeZeroes(60_001, 999, false);
            content = Arrays.copyOf(content, 61_000);
            file.flush();
            ByteBuffer all = ByteBuffer.allocate(content.length);
            file.readFully(all, 0);
            assertArrayEquals(content, all.array());
        }
        assertArrayEquals(content, Files.readAllBytes(path));
    }
}
