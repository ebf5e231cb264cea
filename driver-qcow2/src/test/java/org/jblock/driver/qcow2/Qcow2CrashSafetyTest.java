package org.jblock.driver.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckReport;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;

/**
 * Crash safety by fault injection: a sequence of writes (new clusters, new L2 tables, new refcount
 * blocks, in-place writes, zero clusters, discards, flushes) is cut after its N-th {@code BlockFile}
 * write, for every N. The surviving bytes must open, pass {@code check} with leaks at worst, hold every
 * byte flushed before the cut, show each sector either as it was or as it was written, and take new
 * writes. Small clusters (512 bytes) make every kind of metadata change happen in a short sequence.
 */
class Qcow2CrashSafetyTest {
    private static final int SIZE = 4 << 20;

    /** One step: a write (data), write-zeroes (zero), discard, or a flush. */
    private record Step(String kind, long offset, byte[] data, int length) {
        static Step write(long offset, byte[] data) {
            return new Step("write", offset, data, data.length);
        }
    }

    private static List<Step> sequence() {
        List<Step> steps = new ArrayList<>();
        steps.add(Step.write(4096 + 100, Images.pattern(70_000, 11)));        // many clusters, new L2 tables
        steps.add(new Step("flush", 0, null, 0));
        steps.add(Step.write(1000, Images.pattern(3000, 12)));                 // in place and new
        steps.add(Step.write(3L << 20, Images.pattern(140_000, 13)));          // new refcount blocks
        steps.add(new Step("zero", 8192, null, 8192));                        // zero clusters over data
        steps.add(new Step("flush", 0, null, 0));
        steps.add(new Step("discard", 3L << 20, null, 65536));
        steps.add(Step.write(2L << 20, Images.pattern(5000, 14)));
        steps.add(new Step("flush", 0, null, 0));
        return steps;
    }

    private static void run(BlockImage image, Step step) throws IOException {
        switch (step.kind()) {
            case "write" -> image.write(step.offset(), ByteBuffer.wrap(step.data()));
            case "zero" -> image.writeZeroes(step.offset(), step.length(), true);
            case "discard" -> image.discard(step.offset(), step.length());
            default -> image.flush();
        }
    }

    /** What the disk reads after the first {@code count} steps; discarded ranges are null (either is fine). */
    private static byte[] model(byte[] before, List<Step> steps, int count) {
        byte[] result = before.clone();
        for (int i = 0; i < count; i++) {
            Step s = steps.get(i);
            if (s.kind().equals("write")) {
                System.arraycopy(s.data(), 0, result, (int) s.offset(), s.data().length);
            } else if (s.kind().equals("zero")) {
                Arrays.fill(result, (int) s.offset(), (int) s.offset() + s.length(), (byte) 0);
            }
        }
        return result;
    }

    @Test
    void everyCrashPointLeavesAConsistentImageWithTheFlushedData() throws IOException {
        MemoryBlockFile original = Images.create(SIZE, "cluster_size=512");
        try (BlockImage image = Images.open(original)) {
            image.write(0, ByteBuffer.wrap(Images.pattern(8192, 10)));
        }
        byte[] base = original.toByteArray();
        byte[] before = Images.read(Images.open(MemoryBlockFile.of("b", base), true), 0, SIZE);
        List<Step> steps = sequence();

        PowerLoss counter = new PowerLoss(Integer.MAX_VALUE);
        List<int[]> flushedAt = new ArrayList<>();
        try (BlockImage image = Images.open(counter.feed(MemoryBlockFile.of("count", base)), false)) {
            for (int i = 0; i < steps.size(); i++) {
                run(image, steps.get(i));
                if (steps.get(i).kind().equals("flush")) {
                    flushedAt.add(new int[] {counter.writes(), i + 1});
                }
            }
        }
        int total = counter.writes();
        assertTrue(total > 30, "the sequence makes " + total + " writes");

        for (int n = 0; n <= total; n++) {
            MemoryBlockFile storage = MemoryBlockFile.of("crash.qcow2", base);
            BlockImage image = Images.open(new PowerLoss(n).feed(storage.reopen(false)), false);
            try {
                for (Step step : steps) {
                    run(image, step);
                }
            } catch (IOException expectedPowerLoss) {
                // abandoned as a crashed process leaves it
            }
            int durableSteps = 0;
            for (int[] flush : flushedAt) {
                if (n >= flush[0]) {
                    durableSteps = flush[1];
                }
            }
            List<byte[]> allowed = new ArrayList<>();
            for (int k = durableSteps; k <= steps.size(); k++) {
                allowed.add(model(before, steps, k));
            }
            verify(storage, n, allowed, discarded(steps));
        }
    }

    /** Discarded sectors may also read as zeros. */
    private static boolean[] discarded(List<Step> steps) {
        boolean[] sectors = new boolean[SIZE / 512];
        for (Step s : steps) {
            if (s.kind().equals("discard")) {
                for (long at = s.offset(); at < s.offset() + s.length(); at += 512) {
                    sectors[(int) (at / 512)] = true;
                }
            }
        }
        return sectors;
    }

    /**
     * Each sector holds what it held after some number of steps from the last flush before the crash
     * on (a later step may overwrite an earlier one, so the last state alone is not enough).
     */
    private static void verify(MemoryBlockFile storage, int n, List<byte[]> allowed, boolean[] discarded)
            throws IOException {
        byte[] content;
        try (BlockImage image = Images.open(storage.reopen(true), true)) {
            content = Images.read(image, 0, SIZE);
        } catch (IOException e) {
            throw new AssertionError("after a crash at write " + n + " the image does not open: " + e.getMessage(), e);
        }
        for (int sector = 0; sector < SIZE / 512; sector++) {
            int from = sector * 512;
            byte[] got = Arrays.copyOfRange(content, from, from + 512);
            boolean zero = Arrays.equals(got, new byte[512]);
            boolean expected = discarded[sector] && zero;
            for (byte[] state : allowed) {
                expected |= Arrays.equals(got, Arrays.copyOfRange(state, from, from + 512));
            }
            if (!expected) {
                fail("after a crash at write " + n + ", sector " + sector + " holds neither the flushed nor the"
                        + " written data");
            }
        }
        CheckReport report = Images.check(storage.reopen(true));
        assertTrue(Images.corruptions(report).isEmpty(), "after a crash at write " + n + ": " + report.findings());
        try (BlockImage image = Images.open(storage)) {
            byte[] more = Images.pattern(3000, n + 100);
            image.write(SIZE - 70_000, ByteBuffer.wrap(more));
            assertArrayEquals(more, Images.read(image, SIZE - 70_000, more.length));
            assertArrayEquals(Arrays.copyOf(content, SIZE - 70_000), Images.read(image, 0, SIZE - 70_000),
                    "after a crash at write " + n + " a new allocation disturbed other data");
        }
        assertTrue(Images.corruptions(Images.check(storage.reopen(true))).isEmpty());
    }

    @Test
    void aCrashWhileEmptyingLeavesEachSectorOldOrTheBackingImages() throws IOException {
        MemoryBlockFile base = Images.create(1 << 20, "");
        try (BlockImage image = Images.open(base)) {
            image.write(0, ByteBuffer.wrap(Images.pattern(1 << 20, 20)));
        }
        byte[] baseData = Images.read(Images.open(base.reopen(true), true), 0, 1 << 20);
        MemoryBlockFile top;
        try (BlockImage backing = Images.open(base.reopen(true), true)) {
            top = Images.createOver(backing, "base.qcow2", "cluster_size=512");
        }
        org.jblock.api.spi.BackingOpener opener = (name, format) -> Images.open(base.reopen(true), true);
        try (BlockImage image = Images.openOver(top.reopen(false), false, opener)) {
            image.write(1000, ByteBuffer.wrap(Images.pattern(200_000, 21)));
        }
        byte[] full = top.toByteArray();
        byte[] before = Images.read(Images.openOver(MemoryBlockFile.of("t", full), true, opener), 0, 1 << 20);
        PowerLoss counter = new PowerLoss(Integer.MAX_VALUE);
        try (BlockImage image = Images.openOver(counter.feed(MemoryBlockFile.of("c", full)), false, opener)) {
            image.makeEmpty();
        }
        assertTrue(counter.writes() > 5, "writes: " + counter.writes());
        for (int n = 0; n <= counter.writes(); n++) {
            MemoryBlockFile storage = MemoryBlockFile.of("crash", full);
            BlockImage image = Images.openOver(new PowerLoss(n).feed(storage.reopen(false)), false, opener);
            try {
                image.makeEmpty();
            } catch (IOException expectedPowerLoss) {
                // abandoned
            }
            try (BlockImage after = Images.openOver(storage.reopen(true), true, opener)) {
                byte[] content = Images.read(after, 0, 1 << 20);
                for (int at = 0; at < content.length; at += 512) {
                    byte[] got = Arrays.copyOfRange(content, at, at + 512);
                    assertTrue(Arrays.equals(got, Arrays.copyOfRange(before, at, at + 512))
                            || Arrays.equals(got, Arrays.copyOfRange(baseData, at, at + 512)),
                            "crash at write " + n + ", offset " + at);
                }
                assertTrue(Images.corruptions(after.check(org.jblock.api.CheckMode.REPORT)).isEmpty(),
                        "crash at write " + n);
            }
        }
    }

    @Test
    void changingTheBackingFileIsOneWrite() throws IOException {
        MemoryBlockFile base = Images.create(1 << 20, "");
        MemoryBlockFile top;
        try (BlockImage backing = Images.open(base.reopen(true), true)) {
            top = Images.createOver(backing, "base.qcow2", "");
        }
        PowerLoss counter = new PowerLoss(Integer.MAX_VALUE);
        try (BlockImage image = Images.open(counter.feed(top.reopen(false)), false);
             BlockImage next = Images.open(base.reopen(true), true)) {
            image.changeBacking(new BackingImage("next.qcow2", "next.qcow2", next));
        }
        assertTrue(counter.writes() == 1, "writes: " + counter.writes());
    }
}
