package org.jblock.driver.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CorruptImageException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Damaged and hostile images give one clear error and never an unchecked exception, an
 * OutOfMemoryError or a hang: every field of the header set to hostile values, every truncation of
 * the metadata, every byte of the metadata clusters flipped.
 */
class Qcow2HostileInputTest {

    /** A small image with data in two L2 tables (512-byte clusters), its bytes. */
    private static byte[] sample() throws IOException {
        MemoryBlockFile file = Images.create(1 << 20, "cluster_size=512");
        try (BlockImage image = Images.open(file)) {
            image.write(0, ByteBuffer.wrap(Images.pattern(3000, 1)));
            image.write(600_000, ByteBuffer.wrap(Images.pattern(2000, 2)));
            image.writeZeroes(40_960, 4096, false);
        }
        return file.toByteArray();
    }

    /** Opens, reads everything, checks and writes: any IOException is a fair answer, nothing else. */
    private static void useWithoutSurprise(byte[] content, String what) {
        try {
            for (boolean readOnly : new boolean[] {true, false}) {
                MemoryBlockFile file = MemoryBlockFile.of("hostile.qcow2", content);
                try (BlockImage image = Images.open(file.reopen(readOnly), readOnly)) {
                    long size = image.size();
                    long step = Math.max(1, size / 64);
                    for (long at = 0; at < size; at += step) {
                        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(4096, size - at));
                        image.read(at, buffer);
                    }
                    image.blockStatus(0, size);
                    image.check(CheckMode.REPORT);
                    if (!readOnly && size > 0) {
                        image.write(0, ByteBuffer.wrap(new byte[700]));
                    }
                }
            }
        } catch (IOException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank(), what + ": an error without a message");
        } catch (RuntimeException | OutOfMemoryError e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }

    private static byte[] with(byte[] base, int offset, long value, int width) {
        byte[] copy = base.clone();
        ByteBuffer b = ByteBuffer.wrap(copy);
        switch (width) {
            case 1 -> b.put(offset, (byte) value);
            case 4 -> b.putInt(offset, (int) value);
            default -> b.putLong(offset, value);
        }
        return copy;
    }

    @Test
    @Timeout(120)
    void everyHeaderFieldSetToHostileValues() throws IOException {
        byte[] base = sample();
        int[][] fields = {{4, 4}, {8, 8}, {16, 4}, {20, 4}, {24, 8}, {32, 4}, {36, 4}, {40, 8}, {48, 8}, {56, 4},
            {60, 4}, {64, 8}, {72, 8}, {80, 8}, {88, 8}, {96, 4}, {100, 4}, {104, 1}};
        long[] values = {0, 1, 2, 3, 8, 9, 22, 511, 512, 513, 0x7fffffffL, 0xffffffffL, Long.MAX_VALUE, -1, -512,
            1L << 40, base.length, base.length - 512};
        for (int[] field : fields) {
            for (long value : values) {
                useWithoutSurprise(with(base, field[0], value, field[1]), "field at " + field[0] + " = " + value);
            }
        }
    }

    @Test
    @Timeout(300)
    void everyTruncationAndByteFlipOfTheMetadata() throws IOException {
        byte[] base = sample();
        for (int length = 0; length < base.length; length += 97) {
            useWithoutSurprise(java.util.Arrays.copyOf(base, length), "truncated to " + length);
        }
        // Every byte of the first eight clusters (header, refcount table and block, L1, the first L2 table).
        for (int at = 0; at < Math.min(base.length, 8 * 512); at++) {
            byte[] flipped = base.clone();
            flipped[at] ^= (byte) 0xA5;
            useWithoutSurprise(flipped, "byte " + at + " flipped");
        }
    }

    @Test
    void refusalsNameWhatTheImageUses() throws IOException {
        byte[] base = Images.create(1 << 20, "").toByteArray();
        assertEquals("Unsupported qcow2 feature(s): Unknown incompatible feature: 8000",
                openError(with(base, 72, 0x8000, 8), false).getMessage());
        assertEquals("Unsupported qcow2 feature(s): external data file",
                openError(with(base, 72, 4, 8), false).getMessage());
        assertTrue(openError(with(base, 32, 1, 4), true) instanceof UnsupportedFeatureException);
        assertTrue(openError(with(base, 32, 1, 4), true).getMessage().startsWith("Encrypted qcow2 images"));
        assertTrue(openError(with(base, 72, 2, 8), false).getMessage().contains("Image is corrupt; cannot be opened read/write"));
        assertTrue(openError(with(base, 4, 4, 4), true).getMessage().contains("Unsupported qcow2 version 4"));
        assertTrue(openError(with(base, 36, 0x7fffffff, 4), true) instanceof CorruptImageException);
        // Corrupt or dirty images still open read-only.
        for (long bits : new long[] {1, 2}) {
            try (BlockImage image = Images.open(MemoryBlockFile.of("x", with(base, 72, bits, 8)), true)) {
                assertEquals(1 << 20, image.size());
            }
        }
        // An L2 entry pointing at an unaligned cluster is named.
        MemoryBlockFile written = Images.create(1 << 20, "");
        try (BlockImage image = Images.open(written)) {
            image.write(0, ByteBuffer.wrap(new byte[] {1}));
        }
        byte[] unaligned = written.toByteArray();
        Qcow2Header header = Qcow2Header.decode(ByteBuffer.wrap(unaligned), unaligned.length, "x");
        long l2 = ByteBuffer.wrap(unaligned).getLong((int) header.l1TableOffset()) & Qcow2Image.OFFSET_MASK;
        ByteBuffer.wrap(unaligned).putLong((int) l2, Qcow2Image.COPIED | 0x10200);
        try (BlockImage image = Images.open(MemoryBlockFile.of("x", unaligned), true)) {
            BlockException e = assertThrows(BlockException.class, () -> Images.read(image, 0, 512));
            assertTrue(e.getMessage().contains("unaligned"), e.getMessage());
        }
    }

    private static IOException openError(byte[] content, boolean readOnly) {
        try (BlockImage image = Images.open(MemoryBlockFile.of("x", content), readOnly)) {
            fail("opened: " + image.info());
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    @Test
    void hostileSizesAreRefusedAtCreate() throws IOException {
        for (String options : List.of("cluster_size=1000", "cluster_size=256", "cluster_size=4M", "refcount_bits=3",
                "compat=0.10,refcount_bits=8", "lazy_refcounts=on")) {
            assertThrows(BlockException.class, () -> Images.create(1 << 20, options), options);
        }
        assertEquals(1024, Images.open(Images.create(1000, "")).size(), "rounded up to whole sectors, as qemu-img does");
        assertThrows(BlockException.class, () -> Images.create(1L << 60, ""));
    }
}
