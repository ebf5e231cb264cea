package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.PowerLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The damaged images that an earlier repair made worse, each repaired without loss (or left
 * unchanged, saying why), and every repair cut by a crash at each of its writes leaving an image no
 * worse than before.
 */
class VpcRepairCasesTest {
    private static final int SIZE = 8 << 20;
    private static final int BLOCK = 2 << 20;
    private static final int SPAN = BLOCK + 512;
    private static final int HEADER_AT = 512;
    private static final int TABLE_AT = 1536;
    /** Blocks 0, 1 and 3 are allocated in that order, right after the BAT. */
    private static final long BLOCK0_AT = 2048;
    private static final long BLOCK1_AT = BLOCK0_AT + SPAN;
    private static final long FOOTER_AT = BLOCK0_AT + 3L * SPAN;

    @TempDir
    Path dir;

    private static byte[] base;
    private static byte[] content;

    /** An 8 MiB image with 6 MiB of data: blocks 0, 1 and 3 written whole. */
    private static synchronized byte[] baseImage() throws IOException {
        if (base == null) {
            MemoryBlockFile file = TestImages.create(SIZE, "force_size=on");
            try (BlockImage image = TestImages.open(file)) {
                for (int block : new int[] {0, 1, 3}) {
                    image.write((long) block * BLOCK, ByteBuffer.wrap(TestImages.pattern(BLOCK, block + 1)));
                }
                content = TestImages.read(image, 0, SIZE);
            }
            base = file.toByteArray();
            assertEquals(FOOTER_AT + 512, base.length, "the layout the tests poke into");
        }
        return base.clone();
    }

    private static byte[] content() throws IOException {
        baseImage();
        return content.clone();
    }

    private record Repaired(CheckReport report, byte[] image) {
    }

    private static Repaired repair(byte[] damaged) throws IOException {
        MemoryBlockFile file = MemoryBlockFile.of("d.vhd", damaged);
        CheckReport report;
        try (BlockImage image = TestImages.open(file, false, "check=on")) {
            report = image.check(CheckMode.REPAIR_ALL);
        }
        return new Repaired(report, file.toByteArray());
    }

    private static byte[] read(byte[] image, String options) throws IOException {
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("r.vhd", image), true, options)) {
            return TestImages.read(opened, 0, (int) opened.size());
        }
    }

    private static void putInt(byte[] image, long at, int value) {
        ByteBuffer.wrap(image).putInt((int) at, value);
    }

    private static void resumHeader(byte[] image) {
        DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(image, HEADER_AT, 1024).slice());
        header.withChecksum().encode(ByteBuffer.wrap(image, HEADER_AT, 1024).slice());
    }

    private static void resumFooter(byte[] image, long at) {
        VhdFooter footer = VhdFooter.decode(ByteBuffer.wrap(image, (int) at, 512).slice());
        footer.withChecksum().encode(ByteBuffer.wrap(image, (int) at, 512).slice());
    }

    /** The repair leaves {@code damaged} byte for byte as it was, and its plan says why. */
    private static void assertLeftUnchanged(byte[] damaged, String why) throws IOException {
        Repaired repaired = repair(damaged);
        assertArrayEquals(damaged, repaired.image(), "the image is left unchanged");
        assertTrue(repaired.report().repairPlan().stream().anyMatch(l -> l.startsWith("left unchanged:")
                && l.contains(why)), repaired.report().repairPlan().toString());
        assertFalse(repaired.report().isClean());
    }

    @Test
    void aDamagedEndFooterWithAnUnusableHeaderIsLeftUnchanged() throws IOException {
        int[][] headerDamage = {
                {0, 'x'},                      // bad cookie
                {32, 0x12345},                 // invalid block size
                {28, 1},                       // a table too small
        };
        for (int[] d : headerDamage) {
            byte[] image = baseImage();
            Arrays.fill(image, (int) FOOTER_AT, image.length, (byte) 0);
            if (d[0] == 0) {
                image[HEADER_AT] = (byte) d[1];
            } else {
                putInt(image, HEADER_AT + d[0], d[1]);
            }
            resumHeader(image);
            assertLeftUnchanged(image, "the dynamic header cannot be used");
        }
        byte[] outside = baseImage();
        Arrays.fill(outside, (int) FOOTER_AT, outside.length, (byte) 0);
        ByteBuffer.wrap(outside).putLong(HEADER_AT + 16, 1L << 40);
        resumHeader(outside);
        assertLeftUnchanged(outside, "the dynamic header cannot be used");
    }

    @Test
    void aTableOverTheEndFooterWithNoBlockIsLeftUnchanged() throws IOException {
        // An empty image whose table is made large enough to run over the footer.
        byte[] image = TestImages.create(SIZE, "force_size=on").toByteArray();
        int entries = (image.length - TABLE_AT) / 4 + 4;
        putInt(image, HEADER_AT + 28, entries);
        resumHeader(image);
        byte[] grown = Arrays.copyOf(image, TABLE_AT + entries * 4 - 256);
        System.arraycopy(image, image.length - 512, grown, grown.length - 512, 512);
        assertLeftUnchanged(grown, "");
    }

    @Test
    void aDynamicImageCutInsideItsHeaderIsLeftUnchangedAndStillProbesAsVhd() throws IOException {
        for (int length : new int[] {513, 1024, 1535}) {
            byte[] cut = Arrays.copyOf(baseImage(), length);
            assertLeftUnchanged(cut, "");
            assertEquals(100, TestImages.DRIVER.probe(ProbeInput.of(cut, "cut.vhd")));
        }
    }

    @Test
    void anEndFooterThatDisagreesWithTheHeaderGivesWayToTheConsistentCopy() throws IOException {
        byte[] image = baseImage();
        // The end footer claims a size the table cannot hold; the copy at offset 0 is right.
        ByteBuffer.wrap(image).putLong((int) FOOTER_AT + 48, 64L << 20).putLong((int) FOOTER_AT + 40, 64L << 20);
        resumFooter(image, FOOTER_AT);
        assertArrayEquals(content(), read(image, ""), "the copy is in use: the image opens as it was");
        Repaired repaired = repair(image);
        assertArrayEquals(baseImage(), repaired.image(), "the end footer is rewritten from the copy, the copy kept");
        assertTrue(repaired.report().repairPlan().contains("wrote: rewrite the footer at " + FOOTER_AT),
                repaired.report().repairPlan().toString());
    }

    @Test
    void anEntryShiftedByASectorIsDroppedAndItsNeighbourKept() throws IOException {
        byte[] image = baseImage();
        // Entry 2 (unallocated) is damaged to point one sector into block 1.
        putInt(image, TABLE_AT + 8, (int) ((BLOCK1_AT >>> 9) + 1));
        Repaired repaired = repair(image);
        assertTrue(repaired.report().repairPlan().contains("wrote: set BAT entry 2 to unallocated"),
                repaired.report().repairPlan().toString());
        assertArrayEquals(content(), read(repaired.image(), ""), "block 1 keeps its data");
        // And the other way round: the intact entry 1, shifted onto block 0 plus a sector.
        byte[] other = baseImage();
        putInt(other, TABLE_AT + 4, (int) ((BLOCK0_AT >>> 9) + 1));
        Repaired second = repair(other);
        assertTrue(second.report().repairPlan().contains("wrote: set BAT entry 1 to unallocated"),
                second.report().repairPlan().toString());
        byte[] expected = content();
        Arrays.fill(expected, BLOCK, 2 * BLOCK, (byte) 0);
        assertArrayEquals(expected, read(second.image(), ""), "block 0 keeps its data, the shifted entry reads zeros");
        assertEquals(FOOTER_AT + 512, second.image().length, "nothing is cut away");
    }

    @Test
    void aZeroedOrGarbageTableOrAWrongTableOffsetIsLeftUnchanged() throws IOException {
        byte[] zeroed = baseImage();
        Arrays.fill(zeroed, TABLE_AT, TABLE_AT + 16, (byte) 0);
        assertLeftUnchanged(zeroed, "looks damaged as a whole");
        byte[] garbage = baseImage();
        for (int i = 0; i < 4; i++) {
            putInt(garbage, TABLE_AT + 4L * i, 0x1234567 * (i + 3));
        }
        assertLeftUnchanged(garbage, "looks damaged as a whole");
        byte[] wrongOffset = baseImage();
        ByteBuffer.wrap(wrongOffset).putLong(HEADER_AT + 16, BLOCK0_AT + 4096);
        resumHeader(wrongOffset);
        Repaired repaired = repair(wrongOffset);
        assertEquals(wrongOffset.length, repaired.image().length, "nothing is cut away");
        assertArrayEquals(Arrays.copyOfRange(wrongOffset, 512, wrongOffset.length),
                Arrays.copyOfRange(repaired.image(), 512, repaired.image().length), "no block is touched");
    }

    @Test
    void afl5IsNotWrittenOver() throws IOException {
        byte[] afl5 = Files.readAllBytes(SampleImages.decompress(SampleImages.AFL5, dir));
        Repaired repaired = repair(afl5);
        assertArrayEquals(afl5, repaired.image());
        CheckReport report = repaired.report();
        assertTrue(report.findings().stream().anyMatch(f -> f.severity() == Severity.CORRUPTION
                && f.message().contains("Max Table Entries too large (1073741825)")), report.findings().toString());
    }

    // ---- crash safety ---------------------------------------------------------------------------

    /** Damage whose repair writes once or several times. */
    private static List<byte[]> repairableImages() throws IOException {
        byte[] footerAndCopy = baseImage();
        footerAndCopy[(int) FOOTER_AT + 30] ^= 1;
        footerAndCopy[30] ^= 2;
        resumFooter(footerAndCopy, 0);
        byte[] entryAndHeader = baseImage();
        putInt(entryAndHeader, TABLE_AT + 8, (int) ((BLOCK1_AT >>> 9) + 1));
        entryAndHeader[HEADER_AT + 900] ^= 4;
        byte[] truncated = Arrays.copyOf(baseImage(), (int) (FOOTER_AT - 100_000));
        byte[] overFooter = Arrays.copyOf(baseImage(), (int) (FOOTER_AT - SPAN + 4096 + 512));
        System.arraycopy(baseImage(), (int) FOOTER_AT, overFooter, overFooter.length - 512, 512);
        return List.of(footerAndCopy, entryAndHeader, truncated, overFooter);
    }

    @Test
    void aCrashAtEveryWriteOfARepairLeavesTheImageNoWorse() throws IOException {
        int images = 0;
        for (byte[] damaged : repairableImages()) {
            byte[] salvagedBefore = read(damaged, "salvage=on");
            Repaired full = repair(damaged);
            assertTrue(full.report().findings().stream().anyMatch(CheckReport.Finding::repaired));
            PowerLoss power = new PowerLoss(Integer.MAX_VALUE);
            BlockFile counter = power.feed(MemoryBlockFile.of("c.vhd", damaged));
            try (BlockImage image = TestImages.open(counter, "check=on")) {
                image.check(CheckMode.REPAIR_ALL);
            }
            assertTrue(power.writes() >= 1, "a repair writes");
            for (int n = 0; n < power.writes(); n++) {
                String at = "image " + images + ", crash after write " + n;
                MemoryBlockFile storage = MemoryBlockFile.of("c.vhd", damaged);
                BlockImage image = TestImages.open(new PowerLoss(n).feed(storage.reopen(false)), "check=on");
                try {
                    image.check(CheckMode.REPAIR_ALL);
                } catch (IOException powerLoss) {
                    // abandoned as a crashed process leaves it
                }
                byte[] crashed = storage.toByteArray();
                assertTrue(crashed.length >= Math.min(damaged.length, full.image().length), at + ": the file shrank");
                byte[] salvaged = read(crashed, "salvage=on");
                int common = Math.min(salvaged.length, salvagedBefore.length);
                for (int i = 0; i < common; i += 512) {
                    byte[] was = Arrays.copyOfRange(salvagedBefore, i, i + 512);
                    byte[] is = Arrays.copyOfRange(salvaged, i, i + 512);
                    assertTrue(Arrays.equals(was, is) || TestImages.isZero(was, 0, 512),
                            at + ": sector " + (i / 512) + " readable before reads otherwise");
                }
                Repaired finished = repair(crashed);
                assertArrayEquals(read(full.image(), ""), read(finished.image(), ""), at + ": the repair finishes");
            }
            images++;
        }
    }
}
