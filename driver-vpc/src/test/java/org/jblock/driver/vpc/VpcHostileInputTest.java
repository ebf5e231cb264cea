package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.UUID;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Damaged and hostile images: one typed error each, or correct data; never anything else. */
class VpcHostileInputTest {
    private static final int TINY_BLOCK = 4096;
    private static final int TINY_SIZE = 4 * TINY_BLOCK;

    /**
     * A small dynamic image built from the structures (create's smallest block is 512 KiB): 4 blocks
     * of 4 KiB, blocks 1 and 2 allocated, so sweeps over it run in seconds.
     */
    private static byte[] tinyImage() throws IOException {
        VhdFooter footer = new VhdFooter(VhdFooter.COOKIE, VhdFooter.FEATURE_RESERVED, VhdFooter.VERSION_1_0,
                VhdLayout.HEADER_OFFSET, 0, VhdCreator.CREATOR_APP, VhdCreator.CREATOR_VERSION,
                VhdCreator.CREATOR_OS, TINY_SIZE, TINY_SIZE, Geometry.MAX, VhdFooter.TYPE_DYNAMIC, 0,
                new UUID(1, 2), (byte) 0, new byte[0]).withChecksum();
        DynamicHeader header = DynamicHeader.create(VhdLayout.BAT_OFFSET, 4, TINY_BLOCK);
        ByteBuffer image = ByteBuffer.allocate(2560);
        footer.encode(image);
        header.encode(image);
        byte[] bat = new byte[512];
        Arrays.fill(bat, (byte) 0xFF);
        image.put(bat);
        footer.encode(image);
        MemoryBlockFile file = MemoryBlockFile.of("tiny.vhd", image.array());
        try (BlockImage opened = TestImages.open(file)) {
            opened.write(TINY_BLOCK + 100, ByteBuffer.wrap(TestImages.pattern(TINY_BLOCK + 50, 1)));
        }
        return file.toByteArray();
    }

    private static byte[] contentOf(byte[] image) throws IOException {
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("t.vhd", image), true, "")) {
            return TestImages.read(opened, 0, (int) opened.size());
        }
    }

    /**
     * Opens and reads the damaged image: a {@link BlockException} is fine, as is success with the
     * expected data (or, for a changed size, its prefix); anything else fails the test.
     *
     * @return whether the image opened
     */
    private static boolean openDamaged(byte[] damaged, byte[] expected, String what) {
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("d.vhd", damaged), true, "")) {
            int size = (int) Math.min(opened.size(), 1 << 20);
            byte[] content = TestImages.read(opened, 0, size);
            int common = Math.min(size, expected.length);
            assertArrayEquals(Arrays.copyOf(expected, common), Arrays.copyOf(content, common), what);
            opened.blockStatus(0, opened.size());
            opened.info();
            return true;
        } catch (BlockException typed) {
            assertTrue(typed.getMessage() != null && !typed.getMessage().isBlank(), what);
            return false;
        } catch (Throwable other) {
            throw new AssertionError(what + ": " + other, other);
        }
    }

    @Test
    @Timeout(120)
    void everyTruncationIsATypedErrorOrCorrectData() throws IOException {
        byte[] image = tinyImage();
        byte[] expected = contentOf(image);
        assertTrue(expected[TINY_BLOCK + 100] != 0, "the tiny image holds data");
        int opened = 0;
        for (int length = 0; length < image.length; length++) {
            opened += openDamaged(Arrays.copyOf(image, length), expected, "truncated to " + length) ? 1 : 0;
        }
        // A cut inside the last block's data or the footer leaves the copy at 0 and the blocks: some open.
        assertTrue(opened > 0 && opened < image.length, opened + " of " + image.length + " truncations opened");
    }

    @Test
    @Timeout(120)
    void everyByteChangeOfFooterHeaderAndBatIsATypedErrorOrCorrectData() throws IOException {
        byte[] image = tinyImage();
        byte[] expected = contentOf(image);
        int footerAt = image.length - 512;
        int[][] ranges = {{footerAt, image.length}, {512, 1536}, {1536, 2048}, {0, 512}};
        int opened = 0;
        int refused = 0;
        for (int[] range : ranges) {
            for (int at = range[0]; at < range[1]; at++) {
                // Every single-bit flip, and the byte replaced by 0x00 and by 0xFF.
                for (int change = 0; change < 10; change++) {
                    byte[] damaged = image.clone();
                    damaged[at] = change < 8 ? (byte) (damaged[at] ^ (1 << change)) : change == 8 ? 0 : (byte) 0xFF;
                    if (damaged[at] == image[at]) {
                        continue;
                    }
                    if (openDamaged(damaged, expected, "byte " + at + " changed to " + (damaged[at] & 0xFF))) {
                        opened++;
                    } else {
                        refused++;
                    }
                }
            }
        }
        assertTrue(opened > 0 && refused > 0, opened + " opened, " + refused + " refused");
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {0, 128, 0x12345678, 0x80000000, 1 << 31 >>> 1 << 1})
    void badBlockSizesAreRefusedWithQemusMessage(int blockSize) throws IOException {
        byte[] image = TestImages.create(64 << 20, "").toByteArray();
        // Poked as QEMU's iotest 088 does, without fixing the header checksum.
        ByteBuffer.wrap(image).putInt(512 + DynamicHeader.OFFSET_BLOCK_SIZE, blockSize);
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("t.vpc", image), true, ""));
        assertTrue(e.getMessage().contains("Invalid block size " + Integer.toUnsignedString(blockSize)), e.getMessage());
        assertEquals("block_size", e.field());
        assertEquals(512 + DynamicHeader.OFFSET_BLOCK_SIZE, e.offset());
    }

    @Test
    void eachDamageIsNamedWithItsOwnMessage() throws IOException {
        byte[] image = tinyImage();
        byte[] badMagic = image.clone();
        badMagic[512] = 'X';
        assertRefused(badMagic, "Invalid header magic", "cookie");

        // A cut inside the last block: the footer copy opens the image, and the BAT entry points past the end.
        assertRefused(Arrays.copyOf(image, image.length - 1024),
                "free_data_block_offset points after the end of file. The image has been truncated.", "entry 2");

        // In both footers: with a sound copy at offset 0, the copy would be used instead.
        byte[] badType = image.clone();
        ByteBuffer buffer = ByteBuffer.wrap(badType);
        for (int at : new int[] {0, badType.length - 512}) {
            VhdFooter footer = VhdFooter.decode(buffer.slice(at, 512));
            new VhdFooter(footer.cookie(), footer.features(), footer.formatVersion(), footer.dataOffset(),
                    footer.timestamp(), footer.creatorApp(), footer.creatorVersion(), footer.creatorOs(),
                    footer.originalSize(), footer.currentSize(), footer.geometry(), 5, 0, footer.uniqueId(),
                    footer.savedState(), footer.reserved()).withChecksum().encode(buffer.position(at));
        }
        assertRefused(badType, "Unknown disk type 5", "disk_type");

        byte[] overlapping = image.clone();
        ByteBuffer.wrap(overlapping).putInt(1536 + 8, ByteBuffer.wrap(overlapping).getInt(1536 + 4) + 1);
        assertRefused(overlapping, "blocks 1 and 2 overlap", "entry 2");

        byte[] intoMetadata = image.clone();
        ByteBuffer.wrap(intoMetadata).putInt(1536 + 4, 2);
        assertRefused(intoMetadata, "block 1 overlaps the image metadata", "entry 1");
    }

    private static void assertRefused(byte[] image, String message, String field) {
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("bad.vhd", image), true, ""));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.offset() >= 0 && e.getMessage().startsWith("bad.vhd: corrupt "), e.getMessage());
    }

    @Test
    void hugeMaxTableEntriesAreRefusedBeforeAnyAllocation() throws IOException {
        byte[] image = TestImages.create(64 << 20, "").toByteArray();
        ByteBuffer.wrap(image).putInt(512 + DynamicHeader.OFFSET_MAX_TABLE_ENTRIES, 0x1FFFFFFF);
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("t.vpc", image), true, ""));
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
        ByteBuffer.wrap(image).putInt(512 + DynamicHeader.OFFSET_MAX_TABLE_ENTRIES, 3);
        e = assertThrows(CorruptImageException.class, () -> TestImages.open(MemoryBlockFile.of("t.vpc", image), true, ""));
        assertTrue(e.getMessage().contains("Page table too small"), e.getMessage());
    }

    @Test
    void aBadTrailingFooterFallsBackToTheCopy() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(5000, 2)));
        }
        byte[] bytes = file.toByteArray();
        bytes[bytes.length - 512 + 27] ^= 1;   // the timestamp, so only the checksum tells
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("t.vhd", bytes), true, "")) {
            assertEquals(8 << 20, image.size());
            assertArrayEquals(TestImages.pattern(5000, 2), TestImages.read(image, 0, 5000));
            assertTrue(image.info().formatSpecific().get("footer-source").toString().contains("copy"));
        }
        bytes[27] ^= 1;   // now the copy is bad too
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("t.vhd", bytes), true, ""));
        assertTrue(e.getMessage().contains("Incorrect header checksum"), e.getMessage());
        // The rescue option opens it read-only.
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("t.vhd", bytes), false, "ignore_checksums=on")) {
            assertTrue(image.isReadOnly());
            assertArrayEquals(TestImages.pattern(5000, 2), TestImages.read(image, 0, 5000));
        }
    }

    @Test
    void aBadHeaderChecksumIsAnErrorUnlessRescuing() throws IOException {
        byte[] bytes = TestImages.create(8 << 20, "").toByteArray();
        bytes[512 + 900] ^= 0x10;   // reserved area: only the checksum tells
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("t.vhd", bytes), true, ""));
        assertTrue(e.getMessage().contains("Incorrect dynamic header checksum"), e.getMessage());
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("t.vhd", bytes), false, "ignore_checksums=on")) {
            assertTrue(image.isReadOnly());
            assertEquals(Boolean.TRUE, image.info().formatSpecific().get("salvaged"));
        }
    }

    /** A dynamic image made a differencing one whose parent, named only in the header, is absent. */
    private static byte[] orphanChild() throws IOException {
        byte[] bytes = TestImages.create(8 << 20, "").toByteArray();
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        DynamicHeader header = DynamicHeader.decode(buffer.slice(512, 1024));
        byte[] name = "base image.vhd".getBytes(StandardCharsets.UTF_16BE);
        DynamicHeader child = new DynamicHeader(header.cookie(), header.dataOffset(), header.tableOffset(),
                header.headerVersion(), header.maxTableEntries(), header.blockSize(), 0, new UUID(3, 4), 0, 0, name,
                header.parentLocators(), header.reserved2()).withChecksum();
        child.encode(buffer.position(512));
        VhdFooter footer = VhdFooter.decode(buffer.position(0));
        VhdFooter differencing = new VhdFooter(footer.cookie(), footer.features(), footer.formatVersion(),
                footer.dataOffset(), footer.timestamp(), footer.creatorApp(), footer.creatorVersion(), footer.creatorOs(),
                footer.originalSize(), footer.currentSize(), footer.geometry(), VhdFooter.TYPE_DIFFERENCING, 0,
                footer.uniqueId(), footer.savedState(), footer.reserved()).withChecksum();
        differencing.encode(buffer.position(0));
        differencing.encode(buffer.position(bytes.length - 512));
        return bytes;
    }

    @Test
    void aDifferencingImageOpenedAloneNamesItsParentAndRefusesItsReads() throws IOException {
        byte[] bytes = orphanChild();
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("child.vhd", bytes), true, "")) {
            assertEquals("base image.vhd", image.info().backing().orElseThrow().name());
            UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                    () -> image.read(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains("'base image.vhd'"), e.getMessage());
        }
        assertEquals(100, TestImages.DRIVER.probe(ProbeInput.of(bytes, "child.vhd")));
    }

    @Test
    void aMissingParentIsOneErrorNamingEveryPathTried() throws IOException {
        byte[] bytes = orphanChild();
        BackingOpener nothingThere = (name, format) -> {
            throw new NoSuchFileException("/images/" + name);
        };
        MemoryBlockFile file = MemoryBlockFile.of("child.vhd", bytes);
        BlockException e = assertThrows(BlockException.class, () -> TestImages.DRIVER.open(
                new OpenRequest(file, true, Options.parse("", TestImages.DRIVER.openOptions()), nothingThere)));
        assertTrue(e.getMessage().contains("'base image.vhd' (UUID " + new UUID(3, 4) + ") not found; tried"
                + " /images/base image.vhd (parent name)"), e.getMessage());
    }

    @Test
    void sizesBeyond2040GiBAreUnsupported() throws IOException {
        byte[] bytes = TestImages.create(1 << 20, "subformat=fixed,force_size=on").toByteArray();
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        VhdFooter footer = VhdFooter.decode(buffer.slice(1 << 20, 512));
        footer.withSize(3L << 40, 3L << 40, Geometry.MAX).encode(buffer.position(1 << 20));
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> TestImages.open(MemoryBlockFile.of("big.vhd", bytes), true, ""));
        assertTrue(e.getMessage().contains("2040 GiB"), e.getMessage());
    }

    @Test
    void tinyAndForeignFilesAreRefused() {
        for (int length : new int[] {0, 100, 511, 512, 4096}) {
            byte[] bytes = TestImages.pattern(length, 7);
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> TestImages.open(MemoryBlockFile.of("x.img", bytes), true, ""));
            assertTrue(e.getMessage().contains(length < 511 ? "File too small for a VHD header" : "invalid VPC image"),
                    e.getMessage());
            assertEquals(0, TestImages.DRIVER.probe(ProbeInput.of(bytes, "x.img")));
        }
    }
}
