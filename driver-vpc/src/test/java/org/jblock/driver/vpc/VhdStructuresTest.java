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

import org.jblock.protocol.file.LocalBlockFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The structures decode and encode the real samples' bytes exactly, and check their checksums. */
class VhdStructuresTest {
    @TempDir
    Path dir;

    @Test
    void samplesRoundTripByteForByte() throws IOException {
        for (String name : List.of(SampleImages.VIRTUAL_PC, SampleImages.HYPER_V)) {
            byte[] bytes = Files.readAllBytes(SampleImages.decompress(name, dir));
            byte[] footerBytes = Arrays.copyOfRange(bytes, bytes.length - 512, bytes.length);
            VhdFooter footer = VhdFooter.decode(footerBytes);
            assertArrayEquals(footerBytes, footer.toBytes(), name);
            assertTrue(footer.hasValidCookie() && footer.hasValidChecksum(), name);
            assertEquals(136_365_211_648L, footer.currentSize());
            assertEquals(footer, VhdFooter.decode(Arrays.copyOf(bytes, 512)), "the copy at offset 0");

            DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(bytes, 512, 1024));
            assertArrayEquals(Arrays.copyOfRange(bytes, 512, 1536), header.toBytes(), name);
            assertTrue(header.hasValidChecksum(), name);
            assertEquals(65024, header.maxTableEntries());
            assertEquals(0x600, header.tableOffset());
            assertEquals("", header.parentNameText());

            BlockAllocationTable bat = BlockAllocationTable.decode(ByteBuffer.wrap(bytes, 0x600, 65024 * 4), 65024);
            assertEquals(0, bat.allocatedCount());
            ByteBuffer encoded = ByteBuffer.allocate(65024 * 4);
            bat.encode(encoded, 0, 65024);
            assertArrayEquals(Arrays.copyOfRange(bytes, 0x600, 0x600 + 65024 * 4), encoded.array());
            try (LocalBlockFile file = LocalBlockFile.open(dir.resolve(name), true)) {
                BlockAllocationTable read = BlockAllocationTable.read(file, 0x600, 65024);
                assertEquals(bat.size(), read.size());
                assertEquals(0, read.allocatedCount());
            }
        }
    }

    @Test
    void aChangedByteBreaksTheChecksumAndWithChecksumMendsIt() throws IOException {
        byte[] bytes = TestImages.create(1 << 20, "").toByteArray();
        bytes[30] ^= 1;
        VhdFooter footer = VhdFooter.decode(Arrays.copyOf(bytes, 512));
        assertFalse(footer.hasValidChecksum());
        assertTrue(footer.withChecksum().hasValidChecksum());
        assertEquals(footer.creatorApp(), footer.withChecksum().creatorApp());
    }

    @Test
    void bitmapSizeIsOneBitASectorPaddedToASector() {
        assertEquals(512, DynamicHeader.bitmapSize(512));
        assertEquals(512, DynamicHeader.bitmapSize(2 << 20));
        assertEquals(2048, DynamicHeader.bitmapSize(8 << 20));
    }

    @Test
    void bitmapRunsAreMostSignificantBitFirst() {
        byte[] bits = new byte[512];
        SectorBitmap.set(bits, 3, 21);
        assertEquals((byte) 0x1F, bits[0]);
        assertEquals((byte) 0xFF, bits[1]);
        assertEquals((byte) 0xF8, bits[2]);
        assertEquals(3, SectorBitmap.runEnd(bits, 0, 4096, false));
        assertEquals(21, SectorBitmap.runEnd(bits, 3, 4096, true));
        assertEquals(4096, SectorBitmap.runEnd(bits, 21, 4096, false));
        assertTrue(SectorBitmap.allSet(bits, 3, 21));
        assertFalse(SectorBitmap.allSet(bits, 2, 21));
    }
}
