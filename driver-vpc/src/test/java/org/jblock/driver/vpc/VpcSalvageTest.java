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

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ReadOnlyImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvage=on} on each kind of damage qemu-img 7.2 still reads: jblock refuses it without
 * salvage, reads it with salvage (read-only), equal to the real qemu-img, and names what it could not
 * recover.
 */
class VpcSalvageTest {
    private static final int SIZE = 4 << 20;
    private static final int BLOCK = 512 * 1024;
    private static final int SPAN = BLOCK + 512;

    @TempDir
    Path dir;

    /** 4 MiB, 512 KiB blocks 0, 1 and 3 written whole, in that order after the BAT at 1536. */
    private static byte[] image() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "force_size=on,block_size=512K");
        try (BlockImage image = TestImages.open(file)) {
            for (int block : new int[] {0, 1, 3}) {
                image.write((long) block * BLOCK, ByteBuffer.wrap(TestImages.pattern(BLOCK, block + 1)));
            }
        }
        return file.toByteArray();
    }

    private static void resum(byte[] image, int at, int size) {
        ByteBuffer slice = ByteBuffer.wrap(image, at, size).slice();
        if (size == 512) {
            VhdFooter.decode(slice.duplicate()).withChecksum().encode(slice);
        } else {
            DynamicHeader.decode(slice.duplicate()).withChecksum().encode(slice);
        }
    }

    private byte[] qemuRead(byte[] image, String name) throws Exception {
        Path vhd = dir.resolve(name + ".vhd");
        Path raw = dir.resolve(name + ".raw");
        Files.write(vhd, image);
        RealTools.run("qemu-img", "convert", "-f", "vpc", "-O", "raw", vhd.toString(), raw.toString());
        return Files.readAllBytes(raw);
    }

    /** Refused without salvage; with it read-only, equal to qemu-img; the notes name what was lost. */
    private void assertSalvaged(byte[] damaged, String name, List<String> lost) throws Exception {
        assertThrows(BlockException.class, () -> TestImages.open(MemoryBlockFile.of(name, damaged), true, ""), name);
        byte[] qemu = qemuRead(damaged, name);
        try (BlockImage image = TestImages.open(MemoryBlockFile.of(name, damaged), false, "salvage=on")) {
            assertTrue(image.isReadOnly(), name);
            assertThrows(ReadOnlyImageException.class, () -> image.write(0, ByteBuffer.allocate(512)));
            int n = (int) Math.min(image.size(), qemu.length);
            assertArrayEquals(Arrays.copyOf(qemu, n), TestImages.read(image, 0, n), name + ": equal to qemu-img");
            Object warnings = image.info().formatSpecific().get("salvage-warnings");
            assertEquals(lost.size(), ((List<?>) warnings).size(), name + ": " + warnings);
            for (int i = 0; i < lost.size(); i++) {
                assertTrue(((List<?>) warnings).get(i).toString().startsWith(lost.get(i)), name + ": " + warnings);
            }
        }
    }

    @Test
    void overlappingBatEntries() throws Exception {
        RealTools.require("qemu-img");
        byte[] image = image();
        // Entry 2 points at block 1: both read block 1's data, as QEMU reads them.
        ByteBuffer.wrap(image).putInt(1536 + 8, (2048 + SPAN) / 512);
        assertSalvaged(image, "overlap", List.of("bytes [524288, 1048576) (block 1): its block overlaps another",
                "bytes [1048576, 1572864) (block 2): its block overlaps another"));
    }

    @Test
    void unknownDiskTypesInBothFooters() throws Exception {
        RealTools.require("qemu-img");
        byte[] image = image();
        for (int at : new int[] {0, image.length - 512}) {
            ByteBuffer.wrap(image).putInt(at + 60, 5);
            resum(image, at, 512);
        }
        assertSalvaged(image, "type", List.of());
    }

    @Test
    void aFixedFileShorterThanItsSize() throws Exception {
        RealTools.require("qemu-img");
        MemoryBlockFile file = TestImages.create(1 << 20, "subformat=fixed,force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(TestImages.pattern(1 << 20, 5)));
        }
        byte[] full = file.toByteArray();
        // Cut 64 KiB out of the data area's end, keeping the footer at the end.
        byte[] cut = Arrays.copyOf(full, full.length - 65536);
        System.arraycopy(full, full.length - 512, cut, cut.length - 512, 512);
        assertSalvaged(cut, "short", List.of("bytes [983040, 1048576) lie past the end of the file's data"));
    }

    @Test
    void aFooterAndCopyThatDiffer() throws Exception {
        RealTools.require("qemu-img");
        byte[] image = image();
        // Both valid, both sound, different: the image opens (the footer at the end wins); salvage too.
        ByteBuffer.wrap(image).putInt(24, 12345);
        resum(image, 0, 512);
        byte[] qemu = qemuRead(image, "differ");
        try (BlockImage opened = TestImages.open(MemoryBlockFile.of("differ", image), true, "salvage=on")) {
            assertArrayEquals(qemu, TestImages.read(opened, 0, SIZE));
        }
    }

    @Test
    void aBadHeaderChecksum() throws Exception {
        RealTools.require("qemu-img");
        byte[] image = image();
        image[512 + 900] ^= 0x10;
        assertSalvaged(image, "header", List.of());
    }
}
