package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Eight threads read and write one image at once. Each owns every eighth 4 KiB chunk, so the threads
 * race on the same blocks (allocation, bitmap updates, the bitmap cache) but never on the same bytes,
 * and each can check its reads against its own model.
 */
class VpcConcurrencyTest {
    private static final int THREADS = 8;
    private static final int CHUNK = 4096;
    private static final int SIZE = 16 << 20;

    @Test
    @Timeout(120)
    void threadsReadAndWriteAgainstAModel() throws Exception {
        for (String options : new String[] {"force_size=on", "force_size=on,block_size=512K"}) {
            MemoryBlockFile file = TestImages.create(SIZE, options);
            byte[] model = new byte[SIZE];
            try (BlockImage image = TestImages.open(file)) {
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                List<Future<?>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        work(image, model, thread);
                        return null;
                    }));
                }
                for (Future<?> f : results) {
                    f.get();
                }
                pool.shutdown();
                assertArrayEquals(model, TestImages.read(image, 0, SIZE));
            }
            try (BlockImage image = TestImages.open(file, true, "")) {
                assertArrayEquals(model, TestImages.read(image, 0, SIZE), "after reopen");
            }
        }
    }

    /** Writes and verifies the thread's own chunks; model bytes of a chunk are touched by its owner only. */
    private static void work(BlockImage image, byte[] model, int thread) throws IOException {
        Random random = new Random(thread);
        int chunks = SIZE / CHUNK;
        for (int op = 0; op < 1500; op++) {
            int chunk = random.nextInt(chunks / THREADS) * THREADS + thread;
            int inChunk = random.nextInt(CHUNK);
            int length = 1 + random.nextInt(CHUNK - inChunk);
            long offset = (long) chunk * CHUNK + inChunk;
            switch (random.nextInt(4)) {
                case 0: case 1: {
                    byte[] data = TestImages.pattern(length, op * THREADS + thread);
                    image.write(offset, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, model, (int) offset, length);
                    break;
                }
                case 2: {
                    byte[] zeros = new byte[length];
                    image.write(offset, ByteBuffer.wrap(zeros));
                    System.arraycopy(zeros, 0, model, (int) offset, length);
                    break;
                }
                default: {
                    byte[] expected;
                    synchronized (model) {
                        expected = Arrays.copyOfRange(model, chunk * CHUNK, (chunk + 1) * CHUNK);
                    }
                    assertArrayEquals(expected, TestImages.read(image, (long) chunk * CHUNK, CHUNK),
                            "thread " + thread + " chunk " + chunk);
                    // A wide read across other threads' chunks must not fail either.
                    image.read(random.nextInt(SIZE - (1 << 20)), ByteBuffer.allocate(1 << 20));
                }
            }
            if (op % 500 == 0) {
                image.flush();
            }
        }
    }
}
