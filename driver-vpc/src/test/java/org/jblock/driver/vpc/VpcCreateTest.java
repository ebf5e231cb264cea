package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Create: QEMU's iotests 146 and 266 sizes, QEMU's layout, the options' limits. */
class VpcCreateTest {

    @ParameterizedTest(name = "{0} with ''{1}'' -> {2}")
    @CsvSource(delimiter = ';', value = {
        "64M;;67125248",
        "128M;subformat=dynamic,force_size=off;134250496",
        "4G;;4295467008",
        "4G;force_size=on;4294967296",
        "1M;subformat=fixed,force_size=on;1048576",
        "0;;0",
        "0;subformat=fixed;0",
        "136899993600;;136899993600",
        "127G;;136365219840",
        "2190433320960;force_size=on;2190433320960",
        "2190433320960;;2190433320960",
        "10M;subformat=fixed;10514432",
        "1000;force_size=on;1024",
    })
    void virtualSizesMatchQemu(String size, String options, long expected) throws IOException {
        MemoryBlockFile file = TestImages.create(org.jblock.api.Sizes.parse(size), options == null ? "" : options);
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertEquals(expected, image.size());
        }
        // Every way of computing the size agrees on an image we made (QEMU 7.2 and 10, libvhdi, Hyper-V).
        for (String mode : new String[] {"force_size_calc=chs", "force_size_calc=current_size"}) {
            try (BlockImage image = TestImages.open(file, true, mode)) {
                assertEquals(expected, image.size(), mode);
            }
        }
        VhdFooter footer = VhdFooter.decode(Arrays.copyOfRange(file.toByteArray(), (int) file.size() - 512,
                (int) file.size()));
        assertEquals(expected, footer.originalSize(), "original size, which libvhdi reads");
        assertEquals(expected, footer.currentSize());
        Geometry g = footer.geometry();
        assertTrue(g.isMax() || g.totalSectors() * 512 == expected, "geometry " + g + " is exact or the maximum");
    }

    @Test
    void eachImageGetsItsOwnRandomUniqueId() throws IOException {
        java.util.Set<java.util.UUID> ids = new java.util.HashSet<>();
        for (String options : new String[] {"", "", "subformat=fixed", "subformat=fixed"}) {
            byte[] bytes = TestImages.create(1 << 20, options).toByteArray();
            java.util.UUID id = VhdFooter.decode(Arrays.copyOfRange(bytes, bytes.length - 512, bytes.length)).uniqueId();
            assertEquals(4, id.version(), id + " is a random UUID");
            assertEquals(2, id.variant(), id + " has the IETF variant");
            assertTrue(ids.add(id), id + " was given before");
        }
    }

    @Test
    void tooLargeIsRefused() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> TestImages.create(2190433320960L + 512, "force_size=on"));
        assertTrue(e.getMessage().contains("2040 GiB"), e.getMessage());
        assertThrows(InvalidOptionException.class, () -> TestImages.create(3L << 40, ""));
    }

    @Test
    void dynamicLayoutIsQemus() throws IOException {
        MemoryBlockFile file = TestImages.create(64 << 20, "");
        byte[] bytes = file.toByteArray();
        assertEquals(2560, bytes.length, "footer copy, header, one sector of BAT, footer");
        VhdFooter copy = VhdFooter.decode(Arrays.copyOfRange(bytes, 0, 512));
        VhdFooter footer = VhdFooter.decode(Arrays.copyOfRange(bytes, 2048, 2560));
        assertEquals(copy, footer);
        assertTrue(footer.hasValidCookie() && footer.hasValidChecksum());
        assertEquals(VhdFooter.TYPE_DYNAMIC, footer.diskType());
        assertEquals(512, footer.dataOffset());
        assertEquals(0x2, footer.features());
        DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(bytes, 512, 1024));
        assertTrue(header.hasValidChecksum());
        assertEquals(1536, header.tableOffset());
        assertEquals(-1L, header.dataOffset());
        assertEquals(33, header.maxTableEntries(), "exactly ceil(67125248 / 2 MiB)");
        assertEquals(2 << 20, header.blockSize());
        for (int i = 1536; i < 2048; i++) {
            assertEquals((byte) 0xFF, bytes[i]);
        }
        assertEquals(100, TestImages.DRIVER.probe(ProbeInput.of(bytes, "t.vhd")));
    }

    @Test
    void alignedSizesGetNoExtraBatEntry() throws IOException {
        MemoryBlockFile file = TestImages.create(4L << 30, "force_size=on");
        DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(file.toByteArray(), 512, 1024));
        assertEquals(2048, header.maxTableEntries());
    }

    @Test
    void blockSizeOption() throws IOException {
        MemoryBlockFile file = TestImages.create(64 << 20, "block_size=512K");
        try (BlockImage image = TestImages.open(file)) {
            assertEquals(512 * 1024, image.info().clusterSize());
            byte[] data = TestImages.pattern(3 << 20, 5);
            image.write(100_000, ByteBuffer.wrap(data));
            assertArrayEquals(data, TestImages.read(image, 100_000, data.length));
        }
        for (String bad : new String[] {"block_size=256K", "block_size=3M", "block_size=512M"}) {
            assertThrows(InvalidOptionException.class, () -> TestImages.create(64 << 20, bad), bad);
        }
    }

    @Test
    void fixedLayoutIsDataThenFooter() throws IOException {
        MemoryBlockFile file = TestImages.create(1 << 20, "subformat=fixed,force_size=on");
        byte[] bytes = file.toByteArray();
        assertEquals((1 << 20) + 512, bytes.length);
        VhdFooter footer = VhdFooter.decode(Arrays.copyOfRange(bytes, 1 << 20, bytes.length));
        assertEquals(VhdFooter.TYPE_FIXED, footer.diskType());
        assertEquals(-1L, footer.dataOffset());
        assertTrue(footer.hasValidChecksum());
        int score = TestImages.DRIVER.probe(ProbeInput.of(bytes, "f.vhd"));
        assertTrue(score >= 50 && score < 100, "score " + score);
    }
}
