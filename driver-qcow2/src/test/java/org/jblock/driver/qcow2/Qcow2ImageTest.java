package org.jblock.driver.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.Deflater;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Qcow2ImageTest {
    private static final int MIB = 1 << 20;

    @Test
    void probeKnowsTheMagicAndTheVersion() throws IOException {
        byte[] image = Images.create(MIB, "").toByteArray();
        assertEquals(100, Images.DRIVER.probe(ProbeInput.of(image, "x")));
        image[7] = 4;
        assertEquals(0, Images.DRIVER.probe(ProbeInput.of(image, "x")));
        assertEquals(0, Images.DRIVER.probe(ProbeInput.of(new byte[3], "x")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"compat=0.10", "compat=1.1", "cluster_size=512", "cluster_size=2M", "refcount_bits=1",
            "refcount_bits=64", "compat=0.10,cluster_size=4k"})
    void writesReadBackAcrossClustersAndTables(String options) throws IOException {
        long size = 40L * MIB + 512;
        MemoryBlockFile file = Images.create(size, options);
        byte[] a = Images.pattern(3 * 65536 + 1000, 1);
        byte[] b = Images.pattern(5000, 2);
        try (BlockImage image = Images.open(file)) {
            assertEquals(size, image.size());
            image.write(1234, ByteBuffer.wrap(a));
            image.write(size - 5000, ByteBuffer.wrap(b));
            image.write(1000, ByteBuffer.wrap(b));                       // in place, over allocated clusters
            assertArrayEquals(b, Images.read(image, 1000, 5000));
            assertArrayEquals(java.util.Arrays.copyOfRange(a, 6000 - 1234, a.length),
                    Images.read(image, 6000, a.length - (6000 - 1234)));
            assertArrayEquals(new byte[1000], Images.read(image, 0, 1000));
            assertArrayEquals(new byte[4096], Images.read(image, 20L * MIB, 4096));
        }
        try (BlockImage image = Images.open(file.reopen(true), true)) {
            assertArrayEquals(b, Images.read(image, size - 5000, 5000));
            CheckReport report = image.check(CheckMode.REPORT);
            assertTrue(report.isClean(), report.findings().toString());
        }
    }

    @Test
    void zeroClustersAndDiscardOnVersion3() throws IOException {
        MemoryBlockFile file = Images.create(4 * MIB, "");
        try (BlockImage image = Images.open(file)) {
            image.write(0, ByteBuffer.wrap(Images.pattern(MIB, 3)));
            assertTrue(image.zeroesCheaply(65536, 65536));
            image.writeZeroes(65536, 2 * 65536, false);       // stays allocated, reads zeros
            image.writeZeroes(100, 200, false);                // a partial cluster: zero bytes
            image.writeZeroes(2 * MIB, MIB, true);             // unallocated so far: zero clusters
            image.discard(4 * 65536, 65536);
            assertArrayEquals(new byte[2 * 65536], Images.read(image, 65536, 2 * 65536));
            assertArrayEquals(new byte[200], Images.read(image, 100, 200));
            assertArrayEquals(new byte[65536], Images.read(image, 4 * 65536, 65536));
            List<Extent> status = image.blockStatus(0, 4 * MIB);
            assertEquals(65536, status.get(1).start());
            assertEquals(2 * 65536, status.get(1).length());
            assertTrue(status.get(1).zero() && status.get(1).allocated() && !status.get(1).data());
            assertTrue(status.get(1).hostOffset().isPresent(), "zeros kept in their cluster name it");
            assertTrue(status.contains(Extent.zero(2 * MIB, MIB, true)), status.toString());
            assertEquals(new Extent(3 * MIB, MIB, false, true, false, OptionalLong.empty()), status.get(status.size() - 1));
            assertTrue(image.check(CheckMode.REPORT).isClean());
        }
    }

    @Test
    void writeZeroesToTheEndCoversThePartialLastCluster() throws IOException {
        MemoryBlockFile file = Images.create(1024, "compat=1.1");
        try (BlockImage image = Images.open(file)) {
            image.writeZeroes(0, 1024, false);
            assertEquals(List.of(Extent.zero(0, 1024, true)), image.blockStatus(0, 1024));
            assertArrayEquals(new byte[1024], Images.read(image, 0, 1024));
        }
    }

    @Test
    void backingImageShowsThroughWhereTheTopHoldsNothing() throws IOException {
        MemoryBlockFile base = Images.create(2 * MIB, "");
        byte[] baseData = Images.pattern(2 * MIB, 5);
        try (BlockImage image = Images.open(base)) {
            image.write(0, ByteBuffer.wrap(baseData));
        }
        BackingOpener opener = (name, format) -> {
            assertEquals("base.qcow2", name);
            assertEquals("qcow2", format);
            return Images.open(base.reopen(true), true);
        };
        MemoryBlockFile top;
        try (BlockImage backing = Images.open(base.reopen(true), true)) {
            top = Images.createOver(backing, "base.qcow2", "");
        }
        byte[] mine = Images.pattern(1000, 6);
        try (BlockImage image = Images.openOver(top.reopen(false), false, opener)) {
            image.write(70_000, ByteBuffer.wrap(mine));          // the rest of the cluster comes from the base
            image.writeZeroes(MIB, 65536, false);
            byte[] expected = baseData.clone();
            System.arraycopy(mine, 0, expected, 70_000, mine.length);
            java.util.Arrays.fill(expected, MIB, MIB + 65536, (byte) 0);
            assertArrayEquals(expected, Images.read(image, 0, 2 * MIB));
            List<Extent> status = image.blockStatus(0, 2 * MIB);
            assertEquals(1, status.get(0).depth());
            assertEquals(0, status.get(1).depth());
            ImageInfo info = image.info();
            assertEquals(Optional.of("base.qcow2"), info.backing().map(ImageInfo.Backing::name));
            assertEquals("qcow2", info.backing().get().format());
            assertTrue(image.check(CheckMode.REPORT).isClean());
        }
        // Opened without its chain, the image names its backing file and refuses to guess its data.
        try (BlockImage image = Images.open(top.reopen(true), true)) {
            assertEquals("base.qcow2", image.info().backing().get().name());
            assertThrows(IOException.class, () -> Images.read(image, 0, 512));
            assertArrayEquals(mine, Images.read(image, 70_000, 1000));
        }
    }

    @Test
    void makeEmptyShowsTheBackingImageAgainAndFreesTheClusters() throws IOException {
        MemoryBlockFile base = Images.create(2 * MIB, "");
        byte[] baseData = Images.pattern(2 * MIB, 15);
        try (BlockImage image = Images.open(base)) {
            image.write(0, ByteBuffer.wrap(baseData));
        }
        MemoryBlockFile top;
        try (BlockImage backing = Images.open(base.reopen(true), true)) {
            top = Images.createOver(backing, "base.qcow2", "cluster_size=4k");
        }
        BackingOpener opener = (name, format) -> Images.open(base.reopen(true), true);
        try (BlockImage image = Images.openOver(top.reopen(false), false, opener)) {
            image.write(5000, ByteBuffer.wrap(Images.pattern(300_000, 16)));
            image.writeZeroes(MIB, 65536, false);
            image.makeEmpty();
            assertArrayEquals(baseData, Images.read(image, 0, 2 * MIB));
            assertTrue(image.blockStatus(0, 2 * MIB).stream().allMatch(e -> e.depth() == 1));
        }
        try (BlockImage image = Images.openOver(top.reopen(true), true, opener)) {
            assertArrayEquals(baseData, Images.read(image, 0, 2 * MIB));
            CheckReport report = image.check(CheckMode.REPORT);
            assertTrue(report.isClean(), report.findings().toString());
            assertEquals(0, report.allocatedClusters());
        }
        try (BlockImage alone = Images.open(Images.create(MIB, ""))) {
            assertThrows(IOException.class, alone::makeEmpty);
        }
    }

    @Test
    void changeBackingRewritesTheNameAndFormatOrRemovesThem() throws IOException {
        MemoryBlockFile base = Images.create(MIB, "");
        MemoryBlockFile top;
        try (BlockImage backing = Images.open(base.reopen(true), true)) {
            top = Images.createOver(backing, "base.qcow2", "");
        }
        try (BlockImage image = Images.open(top.reopen(false), false);
             BlockImage other = Images.open(base.reopen(true), true)) {
            image.changeBacking(new BackingImage("elsewhere/other.qcow2", "/x/other.qcow2", other));
            assertEquals("elsewhere/other.qcow2", image.info().backing().get().name());
        }
        try (BlockImage image = Images.open(top.reopen(false), false)) {
            assertEquals("elsewhere/other.qcow2", image.info().backing().get().name());
            assertEquals("qcow2", image.info().backing().get().format());
            image.changeBacking(null);
        }
        try (BlockImage image = Images.open(top.reopen(true), true)) {
            assertTrue(image.info().backing().isEmpty());
            assertArrayEquals(new byte[512], Images.read(image, 0, 512));
        }
    }

    @Test
    void compressedClustersAreReadAndRewritten() throws IOException {
        MemoryBlockFile file = Images.create(MIB, "");
        byte[] cluster = new byte[65536];
        for (int i = 0; i < cluster.length; i++) {
            cluster[i] = (byte) (i / 100);
        }
        // Store the cluster compressed by hand at the end of the file, as QEMU's writer does.
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(cluster);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        while (!deflater.finished()) {
            out.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        byte[] compressed = out.toByteArray();
        long host;
        try (BlockImage image = Images.open(file)) {
            image.write(0, ByteBuffer.wrap(new byte[] {1}));       // makes the L2 table
            host = file.size() + 100;
        }
        MemoryBlockFile raw = file.reopen(false);
        raw.write(ByteBuffer.wrap(compressed), host);
        Qcow2Header header = Qcow2Header.decode(ByteBuffer.wrap(raw.toByteArray()), raw.size(), "t");
        ByteBuffer l1 = ByteBuffer.allocate(8);
        raw.readFully(l1, header.l1TableOffset());
        long l2 = l1.getLong(0) & Qcow2Image.OFFSET_MASK;
        int x = 62 - (16 - 8);
        long sectors = (host + compressed.length - 1) / 512 - host / 512;
        long entry = Qcow2Image.COMPRESSED | (sectors << x) | host;
        raw.write(ByteBuffer.allocate(8).putLong(0, entry), l2 + 8 * 3);
        // The compressed bytes' clusters get their reference, so that check stays clean.
        Refcounts counts = new Refcounts(raw, header, (o, c) -> { });
        long first = host >>> 16;
        long last = (host + compressed.length - 1) >>> 16;
        counts.adjust(first, last - first + 1, 1, true);
        try (BlockImage image = Images.open(file)) {
            assertArrayEquals(cluster, Images.read(image, 3 * 65536, 65536));
            assertTrue(image.blockStatus(3 * 65536, 65536).get(0).data());
            assertTrue(image.check(CheckMode.REPORT).isClean(), image.check(CheckMode.REPORT).findings().toString());
            image.write(3 * 65536 + 10, ByteBuffer.wrap(new byte[] {9, 9}));
            cluster[10] = 9;
            cluster[11] = 9;
            assertArrayEquals(cluster, Images.read(image, 3 * 65536, 65536));
            assertTrue(image.check(CheckMode.REPORT).isClean());
        }
    }

    @Test
    void resizeGrowsTheL1TableWhenItMust() throws IOException {
        MemoryBlockFile file = Images.create(MIB, "cluster_size=512");
        try (BlockImage image = Images.open(file)) {
            image.write(1000, ByteBuffer.wrap(Images.pattern(3000, 7)));
            image.resize(64L * MIB);
            assertEquals(64L * MIB, image.size());
            image.write(60L * MIB, ByteBuffer.wrap(Images.pattern(3000, 8)));
        }
        try (BlockImage image = Images.open(file.reopen(true), true)) {
            assertEquals(64L * MIB, image.size());
            assertArrayEquals(Images.pattern(3000, 7), Images.read(image, 1000, 3000));
            assertArrayEquals(Images.pattern(3000, 8), Images.read(image, 60L * MIB, 3000));
            assertTrue(image.check(CheckMode.REPORT).isClean(), image.check(CheckMode.REPORT).findings().toString());
        }
    }

    @Test
    void manyWritesOutgrowTheRefcountTable() throws IOException {
        // 512-byte clusters, 64 entries in one refcount table cluster: 8 MiB of file before it must move.
        MemoryBlockFile file = Images.create(64L * MIB, "cluster_size=512");
        byte[] data = Images.pattern(MIB, 9);
        try (BlockImage image = Images.open(file)) {
            for (int i = 0; i < 20; i++) {
                image.write((long) i * 3 * MIB, ByteBuffer.wrap(data));
            }
        }
        try (BlockImage image = Images.open(file.reopen(true), true)) {
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(data, Images.read(image, (long) i * 3 * MIB, MIB));
            }
            CheckReport report = image.check(CheckMode.REPORT);
            assertTrue(report.isClean(), report.findings().toString());
        }
    }

    @Test
    void checkFindsLeaksAndRepairsThem() throws IOException {
        MemoryBlockFile file = Images.create(MIB, "");
        try (BlockImage image = Images.open(file)) {
            image.write(0, ByteBuffer.wrap(new byte[] {1}));
        }
        Qcow2Header header = Qcow2Header.decode(ByteBuffer.wrap(file.toByteArray()), file.size(), "t");
        MemoryBlockFile raw = file.reopen(false);
        new Refcounts(raw, header, (o, c) -> { }).adjust(40, 2, 1, true);
        try (BlockImage image = Images.open(file)) {
            CheckReport report = image.check(CheckMode.REPORT);
            assertEquals(2, report.count(CheckReport.Severity.LEAK));
            assertEquals(0, report.count(CheckReport.Severity.CORRUPTION));
            assertEquals("cluster 40 refcount=1 reference=0", report.findings().get(0).message());
            CheckReport repaired = image.check(CheckMode.REPAIR_LEAKS);
            assertEquals(2, repaired.repaired(CheckReport.Severity.LEAK));
            assertTrue(image.check(CheckMode.REPORT).isClean());
        }
        // A refcount below the references is a corruption.
        new Refcounts(raw, header, (o, c) -> { }).adjust(0, 1, 0, true);
        CheckReport report = Images.check(file.reopen(true));
        assertEquals(List.of("cluster 0 refcount=0 reference=1"),
                Images.corruptions(report).stream().map(CheckReport.Finding::message).toList());
        assertFalse(report.isClean());
    }

    @Test
    void aCopiedFlagThatDisagreesWithTheRefcountIsACorruptionThatRepairAllSetsRight() throws IOException {
        MemoryBlockFile file = Images.create(MIB, "");
        byte[] data = new byte[4096];
        java.util.Arrays.fill(data, (byte) 0x5a);
        try (BlockImage image = Images.open(file)) {
            image.write(0, ByteBuffer.wrap(data));
        }
        Qcow2Header header = Qcow2Header.decode(ByteBuffer.wrap(file.toByteArray()), file.size(), "t");
        MemoryBlockFile raw = file.reopen(false);
        ByteBuffer l1Entry = ByteBuffer.allocate(8);
        raw.readFully(l1Entry, header.l1TableOffset());
        long l2 = l1Entry.getLong(0) & Qcow2Image.OFFSET_MASK;
        ByteBuffer l2Entry = ByteBuffer.allocate(8);
        raw.readFully(l2Entry, l2);
        long entry = l2Entry.getLong(0);
        assertTrue((entry & Qcow2Image.COPIED) != 0, "a fresh cluster has its flag");
        raw.write(ByteBuffer.allocate(8).putLong(0, entry & ~Qcow2Image.COPIED), l2);

        CheckReport report = Images.check(file.reopen(true));
        assertEquals(List.of("OFLAG_COPIED data cluster: l2_entry=" + Long.toHexString(entry & ~Qcow2Image.COPIED)
                        + " refcount=1"),
                Images.corruptions(report).stream().map(CheckReport.Finding::message).toList());
        try (BlockImage image = Images.open(file)) {
            CheckReport leaksOnly = image.check(CheckMode.REPAIR_LEAKS);
            assertEquals(0, leaksOnly.repaired(CheckReport.Severity.CORRUPTION), "-r leaks leaves flags alone");
            CheckReport repaired = image.check(CheckMode.REPAIR_ALL);
            assertEquals(1, repaired.repaired(CheckReport.Severity.CORRUPTION));
            assertTrue(image.check(CheckMode.REPORT).isClean());
            assertArrayEquals(data, Images.read(image, 0, data.length));
        }
        assertTrue(Images.check(file.reopen(true)).isClean(), "the repair is on the file");
        ByteBuffer after = ByteBuffer.allocate(8);
        file.reopen(true).readFully(after, l2);
        assertEquals(entry, after.getLong(0));
    }
}
