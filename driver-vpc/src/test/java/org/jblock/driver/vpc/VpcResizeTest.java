package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.InvalidRequestException;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resize of dynamic images: grow into the room after the BAT, grow that moves blocks out of the
 * BAT's way (and survives a crash at every write), shrink over unallocated blocks, and the refusal
 * to shrink over data. qemu-img reads the results where it is installed.
 */
class VpcResizeTest {
    private static final int BLOCK = 512 * 1024;
    private static final int SPAN = BLOCK + 512;
    private static final int SIZE = 4 << 20;
    /** 128 entries fill the BAT's one sector: the most that fit without moving block 0. */
    private static final long ROOMY_SIZE = 128L * BLOCK;
    /** 256 entries need a second BAT sector, where block 0 lies. */
    private static final long MOVING_SIZE = 256L * BLOCK;
    /** 160,000 entries (640,000 bytes of BAT) reach over blocks 0 and 1. */
    private static final long FAR_SIZE = 160_000L * BLOCK;

    @TempDir
    Path dir;

    /** A 4 MiB image of 512 KiB blocks with data in blocks 0, 1 and 3 (allocated in that order). */
    private static MemoryBlockFile imageWithData(byte[] expected) throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on,block_size=512K");
        try (BlockImage image = TestImages.open(file)) {
            write(image, expected, 0, TestImages.pattern(BLOCK, 1));
            write(image, expected, BLOCK + 1000, TestImages.pattern(100_000, 2));
            write(image, expected, 3L * BLOCK + 4096, TestImages.pattern(20_000, 3));
        }
        return file;
    }

    private static void write(BlockImage image, byte[] model, long offset, byte[] data) throws IOException {
        image.write(offset, ByteBuffer.wrap(data));
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    private static void assertCleanWithNoFinding(MemoryBlockFile file) throws IOException {
        try (BlockImage image = TestImages.open(file, true, "")) {
            CheckReport report = image.check(CheckMode.REPORT);
            assertEquals(List.of(), report.findings());
        }
    }

    private static DynamicHeader headerOf(MemoryBlockFile file) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(DynamicHeader.SIZE);
        file.readFully(bytes, 512);
        return DynamicHeader.decode(bytes.flip());
    }

    @Test
    void growWithRoomInTheBatChangesOnlyTheMetadata() throws IOException {
        byte[] expected = new byte[(int) ROOMY_SIZE];
        MemoryBlockFile file = imageWithData(expected);
        long fileSize = file.size();
        try (BlockImage image = TestImages.open(file)) {
            image.resize(ROOMY_SIZE);
            assertEquals(ROOMY_SIZE, image.size());
            assertArrayEquals(expected, TestImages.read(image, 0, (int) ROOMY_SIZE));
            write(image, expected, ROOMY_SIZE - 5000, TestImages.pattern(5000, 4));
        }
        assertEquals(fileSize + SPAN, file.size(), "one new block, no block moved");
        assertEquals(128, headerOf(file).maxTableEntries());
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertEquals(ROOMY_SIZE, image.size());
            assertArrayEquals(expected, TestImages.read(image, 0, (int) ROOMY_SIZE));
        }
        assertCleanWithNoFinding(file);
    }

    @Test
    void growBeyondTheRoomMovesTheBlocksInTheBatsWay() throws IOException {
        byte[] expected = new byte[(int) MOVING_SIZE];
        MemoryBlockFile file = imageWithData(expected);
        try (BlockImage image = TestImages.open(file)) {
            image.resize(MOVING_SIZE);
            assertEquals(MOVING_SIZE, image.size());
            assertArrayEquals(expected, TestImages.read(image, 0, (int) MOVING_SIZE));
            write(image, expected, 200L * BLOCK + 77, TestImages.pattern(9000, 5));
            write(image, expected, 100, TestImages.pattern(600, 6));
        }
        DynamicHeader header = headerOf(file);
        assertEquals(256, header.maxTableEntries());
        ByteBuffer entry = ByteBuffer.allocate(4);
        file.readFully(entry, header.tableOffset());
        long block0At = Integer.toUnsignedLong(entry.flip().getInt()) * 512;
        assertTrue(block0At >= 2048L + 3 * SPAN, "block 0 moved to the end, now at " + block0At);
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, (int) MOVING_SIZE));
        }
        assertCleanWithNoFinding(file);
    }

    @Test
    void growToTheLargestVhdAndNoFurther() throws IOException {
        byte[] expected = new byte[SIZE];
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            write(image, expected, 3000, TestImages.pattern(3 << 20, 12));
            long largest = VhdLayout.MAX_VIRTUAL_SIZE;
            UnsupportedFeatureException tooLarge = assertThrows(UnsupportedFeatureException.class,
                    () -> image.resize(largest + 512));
            assertTrue(tooLarge.getMessage().contains("max size is 2040 GiB"), tooLarge.getMessage());
            image.resize(largest);
            byte[] tail = TestImages.pattern(4096, 13);
            image.write(largest - tail.length, ByteBuffer.wrap(tail));
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
            assertArrayEquals(tail, TestImages.read(image, largest - tail.length, tail.length));
        }
        assertEquals(1_044_480, headerOf(file).maxTableEntries());
        assertCleanWithNoFinding(file);
    }

    @Test
    void growOfAnEmptyImageMovesOnlyTheFooter() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on,block_size=512K");
        byte[] expected = new byte[(int) MOVING_SIZE];
        try (BlockImage image = TestImages.open(file)) {
            image.resize(MOVING_SIZE);
            write(image, expected, MOVING_SIZE - 512, TestImages.pattern(512, 7));
        }
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, (int) MOVING_SIZE));
        }
        assertCleanWithNoFinding(file);
    }

    @Test
    void growOverAPartlyUsedLastBlockShowsZerosWhereTheOldEndWas() throws IOException {
        int oldSize = 3 * BLOCK + 4096;
        MemoryBlockFile file = TestImages.create(oldSize, "force_size=on,block_size=512K");
        byte[] expected = new byte[SIZE];
        try (BlockImage image = TestImages.open(file)) {
            write(image, expected, oldSize - 1024, TestImages.pattern(1024, 8));
        }
        // Another tool may leave data and set bits past the old end in the last block.
        long lastBlockAt = file.size() - 512 - SPAN;
        byte[] block = new byte[SPAN];
        file.readFully(ByteBuffer.wrap(block), lastBlockAt);
        Arrays.fill(block, 0, 512, (byte) 0xFF);
        Arrays.fill(block, 512 + 4096, SPAN, (byte) 0xEE);
        file.write(ByteBuffer.wrap(block), lastBlockAt);
        try (BlockImage image = TestImages.open(file)) {
            assertArrayEquals(Arrays.copyOf(expected, oldSize), TestImages.read(image, 0, oldSize));
            image.resize(SIZE);
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
            write(image, expected, oldSize + 512, TestImages.pattern(512, 9));
        }
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
        }
    }

    @Test
    void shrinkOverUnallocatedTailBlocks() throws IOException {
        byte[] expected = new byte[SIZE];
        MemoryBlockFile file = imageWithData(expected);
        try (BlockImage image = TestImages.open(file)) {
            image.resize(6L * BLOCK);
            image.resize(4L * BLOCK);
            assertEquals(4L * BLOCK, image.size());
            assertArrayEquals(Arrays.copyOf(expected, 4 * BLOCK), TestImages.read(image, 0, 4 * BLOCK));
        }
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertEquals(4L * BLOCK, image.size());
            assertArrayEquals(Arrays.copyOf(expected, 4 * BLOCK), TestImages.read(image, 0, 4 * BLOCK));
        }
        assertCleanWithNoFinding(file);
        try (BlockImage image = TestImages.open(file)) {
            image.resize(SIZE);
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE), "the dropped blocks come back as zeros");
        }
    }

    @Test
    void shrinkOverAllocatedBlocksIsRefusedAndChangesNothing() throws IOException {
        byte[] expected = new byte[SIZE];
        MemoryBlockFile file = imageWithData(expected);
        byte[] before = file.toByteArray();
        try (BlockImage image = TestImages.open(file)) {
            UnsupportedFeatureException whole = assertThrows(UnsupportedFeatureException.class,
                    () -> image.resize(2L * BLOCK));
            assertTrue(whole.getMessage().contains("block 3 (bytes 1572864 to 2097152) holds data"),
                    whole.getMessage());
            UnsupportedFeatureException part = assertThrows(UnsupportedFeatureException.class,
                    () -> image.resize(3L * BLOCK + 512));
            assertTrue(part.getMessage().contains("block 3"), part.getMessage());
            assertThrows(InvalidRequestException.class, () -> image.resize(SIZE + 100));
            image.resize(SIZE);
            assertEquals(SIZE, image.size());
        }
        assertArrayEquals(before, file.toByteArray());
    }

    @Test
    void growThatMovesTwoBlocksKeepsTheirData() throws IOException {
        byte[] expected = new byte[SIZE];
        MemoryBlockFile file = imageWithData(expected);
        try (BlockImage image = TestImages.open(file)) {
            image.resize(FAR_SIZE);
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
        }
        // Blocks 0 and 1 lay where the 640 KiB table now is: both moved past block 3.
        assertEquals(2048 + 3L * SPAN + 2L * SPAN + 512, file.size());
        try (BlockImage image = TestImages.open(file)) {
            assertEquals(FAR_SIZE, image.size());
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
            byte[] tail = TestImages.pattern(4096, 10);
            image.write(FAR_SIZE - 4096, ByteBuffer.wrap(tail));
            assertArrayEquals(tail, TestImages.read(image, FAR_SIZE - 4096, 4096));
        }
        assertCleanWithNoFinding(file);
    }

    @Test
    void growThatMovesBlocksSurvivesACrashAtEveryWrite() throws IOException {
        byte[] expected = new byte[SIZE];
        byte[] base = imageWithData(expected).toByteArray();
        PowerLoss power = new PowerLoss(Integer.MAX_VALUE);
        BlockFile counter = power.feed(MemoryBlockFile.of("count.vhd", base));
        try (BlockImage image = TestImages.open(counter, "")) {
            image.resize(FAR_SIZE);
        }
        // footer at the new end, 2 block copies, the BAT sector, the table's new space, header, 2 footers
        assertEquals(8, power.writes());
        for (int n = 0; n <= power.writes(); n++) {
            MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", base);
            BlockImage image = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "");
            try {
                image.resize(FAR_SIZE);
            } catch (IOException expectedPowerLoss) {
                // abandoned as a crashed process leaves it
            }
            String at = "after a crash at write " + n;
            long size;
            try (BlockImage reopened = TestImages.open(storage, true, "")) {
                size = reopened.size();
                assertTrue(size == SIZE || size == FAR_SIZE, at + ": size " + size);
                assertArrayEquals(expected, TestImages.read(reopened, 0, SIZE), at);
                // Leaked space at worst, or a footer copy one write behind the footer.
                for (CheckReport.Finding f : reopened.check(CheckMode.REPORT).findings()) {
                    assertTrue(f.severity() != CheckReport.Severity.CORRUPTION || f.message().contains("footer copy"),
                            at + ": " + f);
                }
            }
            try (BlockImage repaired = TestImages.open(storage)) {
                repaired.check(CheckMode.REPAIR_ALL);
                assertEquals(List.of(), repaired.check(CheckMode.REPORT).findings(), at);
                repaired.resize(FAR_SIZE);
                assertArrayEquals(expected, TestImages.read(repaired, 0, SIZE), at);
            }
            if (n == power.writes()) {
                assertEquals(FAR_SIZE, size);
            }
        }
    }

    @Test
    void hyperVSampleGrowsPastItsTableAndQemuImgAgrees() throws Exception {
        Path vhd = dir.resolve("grown.vhd");
        Files.copy(SampleImages.decompress(SampleImages.HYPER_V, dir), vhd);
        long newSize = 200L << 30;
        byte[] data = new byte[3 << 20];
        Arrays.fill(data, (byte) 0x5a);
        try (BlockImage image = TestImages.open(LocalBlockFile.open(vhd, false), "")) {
            image.resize(newSize);
            image.write(newSize - data.length, ByteBuffer.wrap(data));
        }
        try (BlockImage image = TestImages.open(LocalBlockFile.open(vhd, true), "")) {
            assertEquals(newSize, image.size());
            assertArrayEquals(data, TestImages.read(image, newSize - data.length, data.length));
            assertTrue(TestImages.isZero(TestImages.read(image, 0, 1 << 20), 0, 1 << 20));
            assertEquals(List.of(), image.check(CheckMode.REPORT).findings());
            assertEquals("win ", image.info().formatSpecific().get("creator-app"));
        }
        RealTools.require("qemu-img", "qemu-io");
        String info = RealTools.run("qemu-img", "info", "-f", "vpc", "--output=json", vhd.toString());
        assertTrue(info.contains("\"virtual-size\": " + newSize), info);
        String read = RealTools.run("qemu-io", "-f", "vpc", "-r", "-c",
                "read -P 0x5a " + (newSize - data.length) + " " + data.length, "-c", "read -P 0 0 1M", vhd.toString());
        assertTrue(read.contains("read 3145728/3145728 bytes") && !read.contains("verification failed"), read);
    }

    // ---- qemu-img reads the result ------------------------------------------------------------------

    @Test
    void libvhdiSeesTheNewSizeAndContent() throws Exception {
        RealTools.require("vhdiinfo");
        byte[] expected = new byte[(int) MOVING_SIZE];
        Path vhd = dir.resolve("grown.vhd");
        Files.write(vhd, imageWithData(expected).toByteArray());
        try (BlockImage image = TestImages.open(LocalBlockFile.open(vhd, false), "")) {
            image.resize(MOVING_SIZE);
        }
        // libvhdi takes the size from the original-size field, which resize keeps equal to the current size.
        String info = RealTools.run("vhdiinfo", vhd.toString());
        assertTrue(info.contains("(" + MOVING_SIZE + " bytes)"), info);
    }

    @Test
    void qemuImgReadsResizedImagesAsJblockDoes() throws Exception {
        RealTools.require("qemu-img");
        for (long newSize : new long[] {ROOMY_SIZE, MOVING_SIZE, 4L * BLOCK}) {
            byte[] expected = new byte[(int) Math.max(SIZE, newSize)];
            byte[] image = imageWithData(expected).toByteArray();
            Path vhd = dir.resolve("r" + newSize + ".vhd");
            Files.write(vhd, image);
            try (BlockImage opened = TestImages.open(LocalBlockFile.open(vhd, false), "")) {
                opened.resize(newSize);
            }
            Path raw = dir.resolve("r" + newSize + ".raw");
            Files.write(raw, Arrays.copyOf(expected, (int) newSize));
            String info = RealTools.run("qemu-img", "info", "-f", "vpc", "--output=json", vhd.toString());
            assertTrue(info.contains("\"virtual-size\": " + newSize), info);
            String compare = RealTools.run("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(),
                    raw.toString());
            assertTrue(compare.contains("Images are identical"), compare);
        }
    }
}
