package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Finding;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.CorruptImageException;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each check item on a real jblock image damaged in exactly that way: the finding (severity, offset),
 * the repair, a clean second check, and the data read back afterwards.
 */
class VpcCheckTest {
    private static final int SIZE = 4 << 20;
    private static final int BLOCK = 512 * 1024;
    private static final int SPAN = BLOCK + 512;
    private static final int HEADER_AT = 512;
    private static final int TABLE_AT = 1536;
    /** Blocks 0, 1 and 3 are allocated in that order, right after the BAT. */
    private static final long BLOCK0_AT = 2048;
    private static final long BLOCK1_AT = BLOCK0_AT + SPAN;
    private static final long BLOCK3_AT = BLOCK0_AT + 2L * SPAN;
    private static final long FOOTER_AT = BLOCK0_AT + 3L * SPAN;

    private static byte[] base;
    private static byte[] content;

    /** A 4 MiB image of 512 KiB blocks: block 0 written whole, blocks 1 and 3 in part. */
    private static synchronized byte[] baseImage() throws IOException {
        if (base == null) {
            MemoryBlockFile file = TestImages.create(SIZE, "force_size=on,block_size=512K");
            try (BlockImage image = TestImages.open(file)) {
                image.write(0, ByteBuffer.wrap(TestImages.pattern(BLOCK, 1)));
                image.write(BLOCK, ByteBuffer.wrap(TestImages.pattern(100_000, 2)));
                image.write(3L * BLOCK + 4096, ByteBuffer.wrap(TestImages.pattern(20_000, 3)));
                content = TestImages.read(image, 0, SIZE);
            }
            base = file.toByteArray();
            assertEquals(FOOTER_AT + 512, base.length, "the layout the tests poke into");
        }
        return base.clone();
    }

    /** The outcome of a check: the report and the image's bytes afterwards. */
    private record Checked(CheckReport report, byte[] image) {
        List<Finding> of(Severity severity) {
            return report.findings().stream().filter(f -> f.severity() == severity).collect(Collectors.toList());
        }
    }

    private static Checked check(byte[] image, CheckMode mode, String options) throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("damaged.vhd", image);
        CheckReport report;
        try (BlockImage opened = TestImages.open(file, false, options)) {
            report = opened.check(mode);
        }
        return new Checked(report, file.toByteArray());
    }

    private static Checked check(byte[] image, CheckMode mode) throws IOException {
        return check(image, mode, "check=on");
    }

    /** Asserts one unrepaired finding of {@code severity} at {@code offset} whose message has {@code words}. */
    private static void assertFinding(CheckReport report, Severity severity, long offset, String words) {
        for (Finding f : report.findings()) {
            if (f.severity() == severity && f.offset() == offset && f.message().contains(words)) {
                return;
            }
        }
        fail("no " + severity + " at " + offset + " saying '" + words + "' in " + describe(report));
    }

    private static String describe(CheckReport report) {
        return report.findings().stream()
                .map(f -> f.severity() + "@" + f.offset() + (f.repaired() ? "(repaired) " : " ")
                + f.message()).collect(Collectors.joining("; ", "[", "]"));
    }

    /**
     * The damage is found as {@code severity} at {@code offset}; REPAIR_ALL repairs every finding; a
     * second check is clean without a finding; the image opens and reads back {@code expected}.
     */
    private static byte[] assertRepaired(byte[] damaged, Severity severity, long offset, String words,
                                         byte[] expected) throws IOException {
        Checked found = check(damaged, CheckMode.REPORT);
        assertFinding(found.report(), severity, offset, words);
        assertFalse(found.report().isClean() && severity != Severity.WARNING, describe(found.report()));
        assertArrayEquals(damaged, found.image(), "a report-only check writes nothing");
        Checked repaired = check(damaged, CheckMode.REPAIR_ALL);
        for (Finding f : repaired.report().findings()) {
            assertTrue(f.repaired(), "not repaired: " + describe(repaired.report()));
        }
        Checked again = check(repaired.image(), CheckMode.REPORT, "");
        assertEquals(List.of(), again.report().findings(), describe(again.report()));
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("repaired.vhd", repaired.image()), true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE), "data after the repair");
        }
        return repaired.image();
    }

    private static void putInt(byte[] image, long at, int value) {
        ByteBuffer.wrap(image).putInt((int) at, value);
    }

    private static void putLong(byte[] image, long at, long value) {
        ByteBuffer.wrap(image).putLong((int) at, value);
    }

    /** Recomputes the checksum of the footer at {@code at} after a field was poked. */
    private static void resumFooter(byte[] image, long at) {
        VhdFooter footer = VhdFooter.decode(ByteBuffer.wrap(image, (int) at, 512).slice());
        footer.withChecksum().encode(ByteBuffer.wrap(image, (int) at, 512).slice());
    }

    private static void resumHeader(byte[] image) {
        DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(image, HEADER_AT, 1024).slice());
        header.withChecksum().encode(ByteBuffer.wrap(image, HEADER_AT, 1024).slice());
    }

    /** Pokes a field into both footers and makes their checksums right again. */
    private static byte[] withFooterField(int field, byte[] value) throws IOException {
        byte[] image = baseImage();
        for (long at : new long[] {0, FOOTER_AT}) {
            System.arraycopy(value, 0, image, (int) at + field, value.length);
            resumFooter(image, at);
        }
        return image;
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] content() throws IOException {
        baseImage();
        return content.clone();
    }

    // ---- footers --------------------------------------------------------------------------------

    @Test
    void damagedFooterChecksumIsRestoredFromTheCopy() throws IOException {
        byte[] image = baseImage();
        image[(int) FOOTER_AT + 67] ^= 1;
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, FOOTER_AT + 64, "Incorrect footer checksum",
                content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void missingFooterIsRestoredFromTheCopy() throws IOException {
        byte[] image = baseImage();
        Arrays.fill(image, (int) FOOTER_AT, image.length, (byte) 0);
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, FOOTER_AT,
                "footer at the end of the file is missing", content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void truncatedFileGetsItsFooterBackAfterTheLastBlock() throws IOException {
        // Cut inside block 3: open refuses it; the footer goes back after the block, whose cut part reads zeros.
        byte[] image = Arrays.copyOf(baseImage(), (int) (BLOCK3_AT + 512 + 8192));
        assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vhd", image)));
        byte[] expected = content();
        Arrays.fill(expected, 3 * BLOCK + 8192, 4 * BLOCK, (byte) 0);
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, image.length - 512,
                "footer at the end of the file is missing", expected);
        assertEquals(FOOTER_AT + 512, repaired.length);
    }

    @Test
    void damagedFooterCopyIsRewritten() throws IOException {
        byte[] image = baseImage();
        image[67] ^= 1;
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, 64, "footer copy at offset 0", content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void missingFooterCopyIsRewritten() throws IOException {
        byte[] image = baseImage();
        Arrays.fill(image, 0, 512, (byte) 0);
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, 0, "footer copy at offset 0 is missing",
                content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void footerCopyThatDiffersIsRewrittenFromTheFooter() throws IOException {
        byte[] image = baseImage();
        putInt(image, 24, 12345);
        resumFooter(image, 0);
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, 0, "differs from the footer", content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void bothFooterChecksumsWrongAreRewritten() throws IOException {
        byte[] image = baseImage();
        putInt(image, 64, 0x1234);
        putInt(image, FOOTER_AT + 64, 0x1234);
        assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vhd", image)));
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, FOOTER_AT + 64, "Incorrect header checksum",
                content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void noFooterAnywhereIsReportedAndLeftAlone() throws IOException {
        byte[] image = baseImage();
        Arrays.fill(image, 0, 8, (byte) 'x');
        Arrays.fill(image, (int) FOOTER_AT, (int) FOOTER_AT + 8, (byte) 'x');
        Checked checked = check(image, CheckMode.REPAIR_ALL);
        assertFinding(checked.report(), Severity.CORRUPTION, FOOTER_AT, "no VHD footer");
        assertFalse(checked.report().isClean());
        assertArrayEquals(image, checked.image());
    }

    @Test
    void unknownDiskTypeIsCorruption() throws IOException {
        byte[] image = withFooterField(60, bytes(0, 0, 0, 5));
        Checked checked = check(image, CheckMode.REPAIR_ALL);
        assertFinding(checked.report(), Severity.CORRUPTION, FOOTER_AT + 60, "Unknown disk type 5");
        assertFalse(checked.report().isClean());
    }

    @Test
    void dataOffsetOutsideTheFileIsCorruption() throws IOException {
        byte[] image = baseImage();
        for (long at : new long[] {0, FOOTER_AT}) {
            putLong(image, at + 16, 1L << 40);
            resumFooter(image, at);
        }
        Checked checked = check(image, CheckMode.REPORT);
        assertFinding(checked.report(), Severity.CORRUPTION, FOOTER_AT + 16, "data offset");
    }

    @Test
    void footerFieldsAgainstTheSpecificationAreWarnings() throws IOException {
        Object[][] cases = {
                {8, bytes(0, 0, 0, 0), "reserved feature bit 0x2"},
                {8, bytes(0, 0, 1, 2), "unknown feature bits"},
                {12, bytes(0, 2, 0, 0), "format version"},
                {24, bytes(0x7f, 0, 0, 0), "in the future"},
                {84, bytes(1), "saved state"},
                {85, bytes(2), "reserved bytes"},
                {68, new byte[16], "unique id is all zeros"},
                {56, bytes(0xff, 0xfe, 16, 63), "geometry"},
        };
        for (Object[] c : cases) {
            int field = (int) c[0];
            byte[] image = withFooterField(field, (byte[]) c[1]);
            Checked checked = check(image, CheckMode.REPAIR_ALL);
            assertFinding(checked.report(), Severity.WARNING, FOOTER_AT + field, (String) c[2]);
            assertTrue(checked.report().isClean(), describe(checked.report()));
            assertArrayEquals(image, checked.image(), "warnings are not repaired");
        }
    }

    // ---- dynamic header -------------------------------------------------------------------------

    @Test
    void headerChecksumIsRewritten() throws IOException {
        byte[] image = baseImage();
        image[HEADER_AT + 39] ^= 1;
        assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vhd", image)));
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, HEADER_AT + 36,
                "Incorrect dynamic header checksum", content());
        assertArrayEquals(baseImage(), repaired);
    }

    @Test
    void headerFieldsThatMakeTheImageUnreadableAreCorruptionsLeftAlone() throws IOException {
        Object[][] cases = {
                {0, bytes('x'), "Invalid header magic", 0},
                {32, bytes(0, 0, 0, 0), "Invalid block size 0", 32},
                {28, bytes(0, 0, 0, 4), "Page table too small", 28},
                {28, bytes(0x40, 0, 0, 1), "Max Table Entries too large", 28},
                {16, bytes(0, 0, 0, 1, 0, 0, 0, 0), "lies outside the file", 16},
                {16, bytes(0, 0, 0, 0, 0, 0, 2, 0), "overlaps the footer copy or the dynamic header", 16},
        };
        for (Object[] c : cases) {
            byte[] image = baseImage();
            byte[] value = (byte[]) c[1];
            System.arraycopy(value, 0, image, HEADER_AT + (int) c[0], value.length);
            resumHeader(image);
            Checked checked = check(image, CheckMode.REPAIR_ALL);
            assertFinding(checked.report(), Severity.CORRUPTION, HEADER_AT + (int) c[3], (String) c[2]);
            assertFalse(checked.report().isClean());
            assertArrayEquals(image, checked.image(), "nothing is repaired over a header that cannot be trusted");
        }
    }

    @Test
    void headerFieldsAgainstTheSpecificationAreWarnings() throws IOException {
        Object[][] cases = {
                {24, bytes(0, 2, 0, 0), "version", 24},
                {8, bytes(0, 0, 0, 0, 0, 0, 0, 0), "data offset", 8},
                {40, bytes(1), "parent fields", 40},
                {800, bytes(1), "reserved bytes", 0},
        };
        for (Object[] c : cases) {
            byte[] image = baseImage();
            byte[] value = (byte[]) c[1];
            System.arraycopy(value, 0, image, HEADER_AT + (int) c[0], value.length);
            resumHeader(image);
            Checked checked = check(image, CheckMode.REPORT);
            assertFinding(checked.report(), Severity.WARNING, HEADER_AT + (int) c[3], (String) c[2]);
            assertTrue(checked.report().isClean(), describe(checked.report()));
        }
    }

    // ---- BAT ------------------------------------------------------------------------------------

    private static byte[] withEntry(int index, long blockAt) throws IOException {
        byte[] image = baseImage();
        putInt(image, TABLE_AT + 4L * index, (int) (blockAt >>> 9));
        return image;
    }

    @Test
    void entryOutsideTheFileIsDropped() throws IOException {
        byte[] image = withEntry(5, 1L << 30);
        assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vhd", image)));
        assertRepaired(image, Severity.CORRUPTION, TABLE_AT + 20, "points outside the file", content());
        Checked repaired = check(image, CheckMode.REPAIR_ALL);
        assertTrue(repaired.report().findings().get(0).message().endsWith("; repaired"), describe(repaired.report()));
        assertEquals(List.of("wrote: set BAT entry 5 to unallocated"), repaired.report().repairPlan());
    }

    @Test
    void entryAtTheFooterIsDropped() throws IOException {
        byte[] image = withEntry(5, FOOTER_AT);
        assertRepaired(image, Severity.CORRUPTION, TABLE_AT + 20, "points outside the file", content());
    }

    @Test
    void entryIntoTheMetadataIsDropped() throws IOException {
        byte[] image = withEntry(6, 1024);
        assertRepaired(image, Severity.CORRUPTION, TABLE_AT + 24, "points into the image metadata", content());
    }

    @Test
    void twoEntriesAtTheSameBlockAreLeftAloneForLackOfEvidence() throws IOException {
        byte[] image = withEntry(7, BLOCK1_AT);
        assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vhd", image)));
        Checked checked = check(image, CheckMode.REPAIR_ALL);
        assertFinding(checked.report(), Severity.CORRUPTION, TABLE_AT + 28, "nothing tells which entry is wrong");
        assertArrayEquals(image, checked.image(), "neither entry is dropped");
        assertTrue(checked.report().repairPlan().stream().anyMatch(l -> l.startsWith("left unchanged: BAT entry 7")),
                checked.report().repairPlan().toString());
    }

    @Test
    void entryOverlappingAnotherBlockInPartIsDropped() throws IOException {
        byte[] image = withEntry(2, BLOCK0_AT + 4096);
        assertRepaired(image, Severity.CORRUPTION, TABLE_AT + 8, "entries 0 and 2 point at overlapping blocks",
                content());
    }

    @Test
    void aBatFullOfGarbageIsReportedInBoundedSpaceAndLeftUnchanged() throws IOException {
        // 32 GiB of 512 KiB blocks: 65,536 entries, every one pointing far outside the file.
        MemoryBlockFile file = TestImages.create(32L << 30, "force_size=on,block_size=512K");
        byte[] image = file.toByteArray();
        for (int i = 0; i < 65536; i++) {
            putInt(image, TABLE_AT + 4L * i, 0x7000_0000 + i);
        }
        Checked checked = check(image, CheckMode.REPAIR_ALL);
        assertEquals(1001, checked.report().findings().size());
        assertFinding(checked.report(), Severity.CORRUPTION, TABLE_AT + 4000,
                "64536 more BAT entries are bad in the same ways (not listed one by one)");
        assertArrayEquals(image, checked.image(), "a table damaged as a whole is not emptied");
        assertTrue(checked.report().repairPlan().get(0).contains("looks damaged as a whole"),
                checked.report().repairPlan().toString());
    }

    @Test
    void entryBeyondTheVirtualSizeIsAWarning() throws IOException {
        byte[] image = baseImage();
        putInt(image, HEADER_AT + 28, 9);
        resumHeader(image);
        putInt(image, TABLE_AT + 32, (int) (BLOCK3_AT >>> 9));
        putInt(image, TABLE_AT + 12, -1);
        Checked checked = check(image, CheckMode.REPORT);
        assertFinding(checked.report(), Severity.WARNING, TABLE_AT + 32, "beyond the virtual size");
    }

    @Test
    void blockRunningOverTheFooterGetsTheFooterMovedPastIt() throws IOException {
        // The footer written inside block 3 (its first data sector), the file ending right after it.
        byte[] image = Arrays.copyOf(baseImage(), (int) (BLOCK3_AT + 1024));
        System.arraycopy(baseImage(), (int) FOOTER_AT, image, (int) BLOCK3_AT + 512, 512);
        byte[] expected = content();
        System.arraycopy(baseImage(), (int) FOOTER_AT, expected, 3 * BLOCK, 512);
        Arrays.fill(expected, 3 * BLOCK + 512, 4 * BLOCK, (byte) 0);
        // Block 3's bitmap covers only the sectors written; the footer landed in a clear sector.
        Arrays.fill(expected, 3 * BLOCK, 3 * BLOCK + 512, (byte) 0);
        byte[] repaired = assertRepaired(image, Severity.CORRUPTION, BLOCK3_AT + 512, "runs over the footer", expected);
        assertEquals(FOOTER_AT + 512, repaired.length);
    }

    @Test
    void qemuImgReadsARepairedImageAsJblockDoes(@TempDir Path dir) throws Exception {
        RealTools.require("qemu-img");
        // Block 3 runs over a footer written inside it, and the copy differs: both repaired.
        byte[] image = Arrays.copyOf(baseImage(), (int) (BLOCK3_AT + 1024));
        System.arraycopy(baseImage(), (int) FOOTER_AT, image, (int) BLOCK3_AT + 512, 512);
        putInt(image, 24, 777);
        resumFooter(image, 0);
        Path vhd = dir.resolve("repaired.vhd");
        Files.write(vhd, check(image, CheckMode.REPAIR_ALL).image());
        byte[] expected;
        try (BlockImage repaired = TestImages.open(LocalBlockFile.open(vhd, true), "")) {
            expected = TestImages.read(repaired, 0, SIZE);
        }
        Path raw = dir.resolve("expected.raw");
        Files.write(raw, expected);
        String compare = RealTools.run("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(), raw.toString());
        assertTrue(compare.contains("Images are identical"), compare);
    }

    // ---- leaks ----------------------------------------------------------------------------------

    /** The image as a crash leaves it after the first write of an allocation (the footer at the new end). */
    private static byte[] crashedAllocation() throws IOException {
        MemoryBlockFile storage = MemoryBlockFile.of("crash.vhd", baseImage());
        BlockImage image = TestImages.open(new PowerLoss(1).feed(storage.reopen(false)), "");
        assertThrows(IOException.class, () -> image.write(5L * BLOCK, ByteBuffer.wrap(TestImages.pattern(512, 9))));
        return storage.toByteArray();
    }

    @Test
    void spaceACrashedAllocationLeftIsALeakThatRepairLeaksReclaims() throws IOException {
        byte[] image = crashedAllocation();
        assertEquals(FOOTER_AT + SPAN + 512, image.length);
        Checked found = check(image, CheckMode.REPORT, "");
        assertFinding(found.report(), Severity.LEAK, FOOTER_AT, SPAN + " bytes");
        assertEquals(1, found.report().count(Severity.LEAK));
        assertEquals(0, found.report().count(Severity.CORRUPTION));
        Checked repaired = check(image, CheckMode.REPAIR_LEAKS, "");
        assertEquals(1, repaired.report().repaired(Severity.LEAK));
        assertEquals(List.of("wrote: write the footer at " + FOOTER_AT + ", after the last block",
                "wrote: trim the file to " + (FOOTER_AT + 512) + " bytes, giving back " + SPAN + " leaked bytes"),
                repaired.report().repairPlan());
        assertArrayEquals(baseImage(), repaired.image());
    }

    /** A crashed allocation, then block 6 written after the leak it left: the leak is between blocks. */
    private static MemoryBlockFile leakBetweenBlocks(byte[] expected) throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("leak.vhd", crashedAllocation());
        byte[] more = TestImages.pattern(BLOCK, 8);
        System.arraycopy(more, 0, expected, 6 * BLOCK, BLOCK);
        try (BlockImage image = TestImages.open(file)) {
            image.write(6L * BLOCK, ByteBuffer.wrap(more));
        }
        return file;
    }

    @Test
    void anOpenImageGoesOnAllocatingAfterItsLeakIsGivenBack() throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("leak.vhd", crashedAllocation());
        byte[] expected = content();
        byte[] more = TestImages.pattern(BLOCK, 8);
        try (BlockImage image = TestImages.open(file)) {
            CheckReport report = image.check(CheckMode.REPAIR_LEAKS);
            assertEquals(1, report.repaired(Severity.LEAK), describe(report));
            assertEquals(FOOTER_AT + 512, report.imageEndOffset());
            image.write(6L * BLOCK, ByteBuffer.wrap(more));
            System.arraycopy(more, 0, expected, 6 * BLOCK, BLOCK);
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
        }
        assertEquals(FOOTER_AT + SPAN + 512, file.size(), "the new block went where the leak was given back");
        assertEquals(List.of(), check(file.toByteArray(), CheckMode.REPORT, "").report().findings());
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
        }
    }

    @Test
    void spaceBetweenBlocksIsAWarningAndNoBlockIsMoved() throws IOException {
        // Moving a block into the space would leave, after a crash, a copy of its data in unused space
        // that QEMU's next allocation would expose; the space is named and left.
        byte[] expected = content();
        MemoryBlockFile file = leakBetweenBlocks(expected);
        byte[] before = file.toByteArray();
        Checked checked = check(before, CheckMode.REPAIR_ALL, "");
        assertFinding(checked.report(), Severity.WARNING, FOOTER_AT, "between blocks");
        assertTrue(checked.report().isClean(), describe(checked.report()));
        assertArrayEquals(before, checked.image());
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(expected, TestImages.read(image, 0, SIZE));
        }
    }

    @Test
    void leaksAreNotReclaimedWhileTheImageIsOtherwiseCorrupt() throws IOException {
        byte[] image = crashedAllocation();
        putInt(image, TABLE_AT + 20, (int) ((1L << 30) >>> 9));
        Checked checked = check(image, CheckMode.REPAIR_LEAKS);
        assertEquals(1, checked.report().count(Severity.LEAK));
        assertEquals(1, checked.report().count(Severity.CORRUPTION));
        assertArrayEquals(image, checked.image());
    }

    // ---- bitmaps --------------------------------------------------------------------------------

    @Test
    void dataUnderAClearBitmapBitIsAWarningWhenBitmapsAreChecked() throws IOException {
        byte[] image = baseImage();
        long sectorAt = BLOCK1_AT + 512 + 300L * 512;
        image[(int) sectorAt + 17] = 1;
        Checked plain = check(image, CheckMode.REPORT, "");
        assertEquals(List.of(), plain.report().findings());
        Checked checked = check(image, CheckMode.REPORT, "check_bitmaps=on");
        assertFinding(checked.report(), Severity.WARNING, sectorAt, "sector 300 holds data");
    }

    // ---- fixed images and modes -----------------------------------------------------------------

    @Test
    void fixedImageFooterChecksumIsRewrittenAndTruncationReported() throws IOException {
        MemoryBlockFile file = TestImages.create(1 << 20, "subformat=fixed,force_size=on");
        byte[] data = TestImages.pattern(1 << 20, 4);
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(data));
        }
        byte[] image = file.toByteArray();
        image[(1 << 20) + 67] ^= 1;
        Checked found = check(image, CheckMode.REPORT);
        assertFinding(found.report(), Severity.CORRUPTION, (1 << 20) + 64, "Incorrect header checksum");
        Checked repaired = check(image, CheckMode.REPAIR_ALL);
        assertEquals(1, repaired.report().repaired(Severity.CORRUPTION), describe(repaired.report()));
        assertEquals(List.of(), check(repaired.image(), CheckMode.REPORT, "").report().findings());
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("f.vhd", repaired.image()), true, "")) {
            assertArrayEquals(data, TestImages.read(opened, 0, 1 << 20));
        }

        byte[] offset = file.toByteArray();
        putLong(offset, (1 << 20) + 16, 512);
        resumFooter(offset, 1 << 20);
        Checked warned = check(offset, CheckMode.REPORT, "");
        assertFinding(warned.report(), Severity.WARNING, (1 << 20) + 16, "data offset should be all ones");
        assertTrue(warned.report().isClean());

        byte[] cut = Arrays.copyOfRange(file.toByteArray(), 4096, (1 << 20) + 512);
        assertFinding(check(cut, CheckMode.REPORT).report(), Severity.CORRUPTION, cut.length - 512 + 48, "truncated");
    }

    @Test
    void aDamagedImageOpenedForCheckRefusesReadsWithTheDamage() throws IOException {
        byte[] image = withEntry(5, 1L << 30);
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("t.vhd", image), true, "check=on")) {
            assertEquals(SIZE, opened.size());
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> opened.read(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains("check=on") && e.getMessage().contains("entry 5"), e.getMessage());
            assertThrows(ReadOnlyImageException.class, () -> opened.check(CheckMode.REPAIR_ALL));
            assertEquals(1, opened.check(CheckMode.REPORT).count(Severity.CORRUPTION));
        }
        try (BlockImage sound = TestImages.open(MemoryBlockFile.of("s.vhd", baseImage()), true, "check=on")) {
            assertArrayEquals(content(), TestImages.read(sound, 0, SIZE), "a sound image opens as usual");
        }
    }
}
