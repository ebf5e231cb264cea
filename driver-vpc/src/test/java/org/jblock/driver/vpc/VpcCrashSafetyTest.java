package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;

/**
 * Crash safety by fault injection: a sequence of writes (allocations, in-place writes, flushes) is cut
 * after its N-th {@code BlockFile} write, for every N; the surviving bytes must open, hold every
 * byte flushed before the cut, and show each sector either as it was or as it was written.
 */
class VpcCrashSafetyTest {
    private static final int SIZE = 12 << 20;
    private static final int BLOCK = 2 << 20;

    /** One step of the sequence: a write, or a flush (data == null). */
    private record Step(long offset, byte[] data) {
        static Step flush() {
            return new Step(-1, null);
        }
    }

    private static List<Step> sequence() {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(BLOCK + 4096, TestImages.pattern(70_000, 11)));        // allocates block 1
        steps.add(Step.flush());
        steps.add(new Step(1000, TestImages.pattern(3000, 12)));                  // in place, block 0
        steps.add(new Step(5L * BLOCK - 512, TestImages.pattern(4096, 13)));      // allocates blocks 4 and 5
        steps.add(new Step(BLOCK + 8192, TestImages.pattern(512, 14)));           // in place, new bitmap bit
        steps.add(Step.flush());
        steps.add(new Step(3L * BLOCK, TestImages.pattern(BLOCK, 15)));           // a whole block
        steps.add(Step.flush());
        return steps;
    }

    /** A dynamic image with data in block 0, flushed: the state every crash starts from. */
    private static byte[] baseImage() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(8192, 10)));
        }
        return file.toByteArray();
    }

    private static byte[] applyToModel(byte[] model, List<Step> steps, int count) {
        byte[] result = model.clone();
        for (int i = 0; i < count; i++) {
            Step s = steps.get(i);
            if (s.data != null) {
                System.arraycopy(s.data, 0, result, (int) s.offset, s.data.length);
            }
        }
        return result;
    }

    @Test
    void everyCrashPointLeavesAnImageThatOpensAndKeepsFlushedData() throws IOException {
        byte[] base = baseImage();
        byte[] before;
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("base.vhd", base), true, "")) {
            before = TestImages.read(image, 0, SIZE);
        }
        List<Step> steps = sequence();

        // Count the writes and note how many had happened when each flush returned.
        PowerLoss power = new PowerLoss(Integer.MAX_VALUE);
        BlockFile counter = power.feed(MemoryBlockFile.of("count.vhd", base));
        List<int[]> flushedAt = new ArrayList<>();   // {writes so far, steps done}
        BlockImage counted = TestImages.open(counter, "");
        for (int i = 0; i < steps.size(); i++) {
            run(counted, steps.get(i));
            if (steps.get(i).data == null) {
                flushedAt.add(new int[] {power.writes(), i + 1});
            }
        }
        counted.close();
        int totalWrites = power.writes();
        assertTrue(totalWrites > 10, "the sequence makes " + totalWrites + " writes");

        for (int n = 0; n <= totalWrites; n++) {
            MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", base);
            BlockImage image = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "");
            try {
                for (Step step : steps) {
                    run(image, step);
                }
            } catch (IOException expectedPowerLoss) {
                // The image is abandoned as a crashed process would leave it.
            }
            byte[] durable = before;
            for (int[] flush : flushedAt) {
                if (n >= flush[0]) {
                    durable = applyToModel(before, steps, flush[1]);
                }
            }
            byte[] latest = applyToModel(before, steps, steps.size());
            verifyAfterCrash(storage, n, durable, latest);
        }
    }

    private static void run(BlockImage image, Step step) throws IOException {
        if (step.data == null) {
            image.flush();
        } else {
            image.write(step.offset, ByteBuffer.wrap(step.data));
        }
    }

    /** Each sector holds what was durable or what was written later; the image accepts new writes. */
    private static void verifyAfterCrash(MemoryBlockFile storage, int n, byte[] durable, byte[] latest)
            throws IOException {
        byte[] content;
        try (BlockImage image = TestImages.open(storage, true, "")) {
            content = TestImages.read(image, 0, SIZE);
        } catch (IOException e) {
            throw new AssertionError("after a crash at write " + n + " the image does not open: " + e.getMessage(), e);
        }
        for (int sector = 0; sector < SIZE / 512; sector++) {
            int from = sector * 512;
            byte[] got = Arrays.copyOfRange(content, from, from + 512);
            if (!Arrays.equals(got, Arrays.copyOfRange(durable, from, from + 512))
                    && !Arrays.equals(got, Arrays.copyOfRange(latest, from, from + 512))) {
                fail("after a crash at write " + n + ", sector " + sector + " holds neither the flushed nor the"
                        + " written data");
            }
        }
        // Leaked space at worst: the image still allocates and reads back correctly.
        try (BlockImage image = TestImages.open(storage)) {
            byte[] more = TestImages.pattern(3 * 512, n + 100);
            image.write(SIZE - BLOCK + 7, ByteBuffer.wrap(more));
            assertArrayEquals(more, TestImages.read(image, SIZE - BLOCK + 7, more.length));
            assertArrayEquals(Arrays.copyOf(content, SIZE - BLOCK), TestImages.read(image, 0, SIZE - BLOCK),
                    "after a crash at write " + n + " a new allocation disturbed other data");
        }
    }

    @Test
    void fixedResizeSurvivesACrashAtEveryWrite() throws IOException {
        byte[] base;
        MemoryBlockFile original = TestImages.create(1 << 20, "subformat=fixed,force_size=on");
        try (BlockImage image = TestImages.open(original)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(1 << 20, 3)));
        }
        base = original.toByteArray();
        for (long newSize : new long[] {(3 << 20) + 512, (1 << 20) - 4096}) {
            PowerLoss power = new PowerLoss(Integer.MAX_VALUE);
            BlockFile counter = power.feed(MemoryBlockFile.of("c.vhd", base));
            try (BlockImage image = TestImages.open(counter, "")) {
                image.resize(newSize);
            }
            for (int n = 0; n <= power.writes(); n++) {
                MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", base);
                BlockImage image = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "");
                try {
                    image.resize(newSize);
                } catch (IOException expectedPowerLoss) {
                    // abandoned
                }
                try (BlockImage reopened = TestImages.open(storage, true, "")) {
                    long size = reopened.size();
                    assertTrue(size == 1 << 20 || size == newSize, "size " + size + " after a crash at write " + n);
                    int kept = (int) Math.min(Math.min(size, newSize), 1 << 20);
                    assertArrayEquals(Arrays.copyOf(TestImages.pattern(1 << 20, 3), kept),
                            TestImages.read(reopened, 0, kept), "crash at write " + n);
                    if (n == power.writes()) {
                        assertEquals(newSize, size);
                    }
                }
            }
        }
    }
}
