package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.MemoryBlockFile;
import org.junit.jupiter.api.Test;

/** Writes to dynamic images: round trips, the sector bitmap, what never allocates. */
class VpcWriteTest {
    private static final int BLOCK = 2 << 20;

    private static long allocatedBlocks(BlockImage image) throws IOException {
        return (Long) image.info().formatSpecific().get("allocated-blocks");
    }

    @Test
    void randomWritesReadBackAgainstAModelAcrossReopen() throws IOException {
        MemoryBlockFile file = TestImages.create(40 << 20, "force_size=on");
        byte[] model = new byte[40 << 20];
        Random random = new Random(42);
        try (BlockImage image = TestImages.open(file)) {
            for (int i = 0; i < 200; i++) {
                int length = 1 + random.nextInt(i % 10 == 0 ? 5 << 20 : 20_000);
                int offset = random.nextInt(model.length - length);
                byte[] data = TestImages.pattern(length, i);
                image.write(offset, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, offset, length);
                int readLength = 1 + random.nextInt(3 << 20);
                int readOffset = random.nextInt(model.length - readLength);
                assertArrayEquals(Arrays.copyOfRange(model, readOffset, readOffset + readLength),
                        TestImages.read(image, readOffset, readLength), "read after write " + i);
            }
        }
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertArrayEquals(model, TestImages.read(image, 0, model.length));
        }
    }

    @Test
    void aNewBlockHoldsTheWriteAndZerosElsewhere() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(BLOCK + 1000, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            byte[] block = TestImages.read(image, BLOCK, BLOCK);
            byte[] expected = new byte[BLOCK];
            expected[1000] = 1;
            expected[1001] = 2;
            expected[1002] = 3;
            assertArrayEquals(expected, block);
            assertEquals(1, allocatedBlocks(image));
        }
    }

    @Test
    void bitmapBitsAreSetForExactlyTheSectorsWritten() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(512 * 3 + 100, ByteBuffer.wrap(TestImages.pattern(512 * 2, 1)));  // sectors 3..5
            image.write(512 * 20, ByteBuffer.wrap(TestImages.pattern(512 * 9, 2)));      // sectors 20..28
            image.flush();
            DynamicVhdImage dynamic = (DynamicVhdImage) image;
            long bitmapAt = dynamic.bat().blockOffset(0);
            byte[] bits = new byte[512];
            file.reopen(true).readFully(ByteBuffer.wrap(bits), bitmapAt);
            for (int sector = 0; sector < 4096; sector++) {
                boolean expected = (sector >= 3 && sector <= 5) || (sector >= 20 && sector <= 28);
                assertEquals(expected, SectorBitmap.isSet(bits, sector), "sector " + sector);
            }
        }
    }

    @Test
    void clearBitmapBitsReadAsZerosEvenOverData() throws IOException {
        MemoryBlockFile file = TestImages.create(4 << 20, "force_size=on");
        long dataAt;
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(512, 1)));
            dataAt = ((DynamicVhdImage) image).bat().blockOffset(0) + 512;
        }
        // Garbage behind a clear bit (as a differencing child would have) must not show.
        file.reopen(false).write(ByteBuffer.wrap(TestImages.pattern(4096, 9)), dataAt + 512);
        try (BlockImage image = TestImages.open(file, true, "")) {
            byte[] read = TestImages.read(image, 0, 8192);
            assertArrayEquals(TestImages.pattern(512, 1), Arrays.copyOf(read, 512));
            assertArrayEquals(new byte[8192 - 512], Arrays.copyOfRange(read, 512, 8192));
        }
    }

    @Test
    void zerosNeverAllocate() throws IOException {
        MemoryBlockFile file = TestImages.create(16 << 20, "force_size=on");
        long emptySize = file.size();
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(new byte[3 << 20]));
            image.writeZeroes(4 << 20, 8 << 20, false);
            image.writeZeroes(0, 16 << 20, true);
            image.discard(0, 16 << 20);
            assertEquals(0, allocatedBlocks(image));
            assertEquals(List.of(Extent.zero(0, 16 << 20, true)), image.blockStatus(0, 16 << 20));
        }
        assertEquals(emptySize, file.size());
    }

    @Test
    void writeZeroesClearsAllocatedData() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(3 << 20, 3)));
            image.writeZeroes(1000, (3 << 20) - 2000, false);
            byte[] read = TestImages.read(image, 0, 3 << 20);
            assertArrayEquals(Arrays.copyOf(TestImages.pattern(3 << 20, 3), 1000), Arrays.copyOf(read, 1000));
            assertTrue(TestImages.isZero(read, 1000, (3 << 20) - 1000));
            assertEquals(2, allocatedBlocks(image));
        }
    }

    @Test
    void blockStatusShowsDataWithHostOffsetsAndMergedZeros() throws IOException {
        MemoryBlockFile file = TestImages.create(10 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            byte[] block = TestImages.pattern(BLOCK, 6);
            block[5] = 7;
            image.write(BLOCK * 2L, ByteBuffer.wrap(block));
            List<Extent> extents = image.blockStatus(100, (10 << 20) - 200);
            assertEquals(3, extents.size(), extents.toString());
            assertEquals(Extent.zero(100, BLOCK * 2L - 100, true), extents.get(0));
            Extent data = extents.get(1);
            assertTrue(data.data() && data.allocated());
            assertEquals(BLOCK * 2L, data.start());
            assertEquals(BLOCK, data.length());
            long host = data.hostOffset().getAsLong();
            byte[] one = new byte[1];
            file.reopen(true).readFully(ByteBuffer.wrap(one), host + 5);
            assertEquals(7, one[0]);
            assertFalse(extents.get(2).data());
        }
    }

    @Test
    void blockStatusFollowsTheBitmapInsideAPartlyWrittenBlock() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(4096 + 10, ByteBuffer.wrap(TestImages.pattern(1000, 8)));   // sectors 8 and 9
            long host = ((DynamicVhdImage) image).bat().blockOffset(0) + 512;
            List<Extent> extents = image.blockStatus(0, 3L * BLOCK);
            assertEquals(List.of(Extent.zero(0, 4096, true), Extent.data(4096, 1024, host + 4096),
                    Extent.zero(5120, 3L * BLOCK - 5120, true)), extents);
            // A request that starts and ends inside sectors is described exactly.
            assertEquals(List.of(Extent.zero(4000, 96, true), Extent.data(4096, 904, host + 4096)),
                    image.blockStatus(4000, 1000));
        }
    }

    @Test
    void theFooterMovesToTheEndAndStaysValid() throws IOException {
        MemoryBlockFile file = TestImages.create(8 << 20, "force_size=on");
        byte[] before = file.toByteArray();
        try (BlockImage image = TestImages.open(file)) {
            image.write(BLOCK * 3L, ByteBuffer.wrap(TestImages.pattern(BLOCK, 4)));
        }
        byte[] after = file.toByteArray();
        assertEquals(before.length + 512 + BLOCK, after.length);
        assertArrayEquals(Arrays.copyOfRange(before, before.length - 512, before.length),
                Arrays.copyOfRange(after, after.length - 512, after.length));
        assertArrayEquals(Arrays.copyOf(before, 512), Arrays.copyOf(after, 512), "the copy at 0 is untouched");
    }
}
