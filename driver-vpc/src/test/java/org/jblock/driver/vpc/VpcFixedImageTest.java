package org.jblock.driver.vpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.Extent;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.Test;

/** Fixed images: identity mapping, a footer no write reaches, resize by moving the footer. */
class VpcFixedImageTest {
    private static final int SIZE = 3 << 20;

    private static VhdFooter trailingFooter(MemoryBlockFile file) throws IOException {
        byte[] bytes = file.toByteArray();
        return VhdFooter.decode(Arrays.copyOfRange(bytes, bytes.length - 512, bytes.length));
    }

    @Test
    void dataIsIdentityMappedAndTheFooterSurvivesAWriteToTheLastByte() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "subformat=fixed,force_size=on");
        VhdFooter footer = trailingFooter(file);
        byte[] data = TestImages.pattern(SIZE, 3);
        try (BlockImage image = TestImages.open(file)) {
            assertEquals(SIZE, image.size());
            image.write(0, ByteBuffer.wrap(data));
            assertThrows(InvalidRequestException.class, () -> image.write(SIZE - 1, ByteBuffer.allocate(2)));
            assertEquals(List.of(Extent.data(0, SIZE, 0)), image.blockStatus(0, SIZE));
            assertEquals(0, image.info().clusterSize());
            assertEquals("fixed", image.info().formatSpecific().get("subformat"));
        }
        assertArrayEquals(data, Arrays.copyOf(file.toByteArray(), SIZE));
        assertEquals(footer, trailingFooter(file));
        assertEquals(SIZE + 512, file.size());
    }

    @Test
    void growAndShrinkMoveTheFooterAndKeepTheData() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "subformat=fixed,force_size=on");
        byte[] data = TestImages.pattern(SIZE, 4);
        try (BlockImage image = TestImages.open(file)) {
            image.write(0, ByteBuffer.wrap(data));
            image.resize(SIZE * 2L + 512);
            assertEquals(SIZE * 2L + 512, image.size());
            byte[] grown = TestImages.read(image, 0, SIZE * 2 + 512);
            assertArrayEquals(data, Arrays.copyOf(grown, SIZE));
            assertTrue(TestImages.isZero(grown, SIZE, grown.length), "the old footer became zeros");
        }
        assertEquals(SIZE * 2L + 1024, file.size());
        try (BlockImage image = TestImages.open(file, true, "")) {
            assertEquals(SIZE * 2L + 512, image.size());
            assertEquals(SIZE * 2L + 512, trailingFooter(file).originalSize(), "libvhdi reads the original size");
        }
        try (BlockImage image = TestImages.open(file)) {
            image.resize(1 << 20);
            assertArrayEquals(Arrays.copyOf(data, 1 << 20), TestImages.read(image, 0, 1 << 20));
        }
        try (BlockImage image = TestImages.open(file, true, "force_size_calc=chs")) {
            assertEquals(1 << 20, image.size(), "every size rule agrees after a resize");
        }
        assertEquals((1 << 20) + 512, file.size());
    }

    @Test
    void resizeRefusesSizesThatAreNotWholeSectors() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "subformat=fixed,force_size=on");
        try (BlockImage image = TestImages.open(file)) {
            assertThrows(InvalidRequestException.class, () -> image.resize(SIZE + 100));
            assertEquals(SIZE, image.size());
        }
    }

    @Test
    void aShortFooterFromOldVirtualPcIsRead() throws IOException {
        MemoryBlockFile file = TestImages.create(SIZE, "subformat=fixed,force_size=on");
        byte[] data = TestImages.pattern(SIZE, 5);
        byte[] bytes = file.toByteArray();
        System.arraycopy(data, 0, bytes, 0, SIZE);
        byte[] shortFooter = Arrays.copyOf(bytes, bytes.length - 1);   // the reserved last byte is zero
        assertEquals(60, TestImages.DRIVER.probe(ProbeInput.of(shortFooter, "old.vhd")));
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("old.vhd", shortFooter), true, "")) {
            assertEquals(SIZE, image.size());
            assertArrayEquals(data, TestImages.read(image, 0, SIZE));
        }
    }

    @Test
    void aFixedImageShorterThanItsSizeIsRefused() throws IOException {
        byte[] bytes = TestImages.create(SIZE, "subformat=fixed,force_size=on").toByteArray();
        byte[] cut = new byte[bytes.length - 4096];
        System.arraycopy(bytes, bytes.length - 512, cut, cut.length - 512, 512);
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> TestImages.open(MemoryBlockFile.of("cut.vhd", cut), true, ""));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aFixedImageOfAForeignCreatorTakesTheCurrentSize() throws IOException {
        // qemu-img 7.2 writes "qemu" with CHS; a CHS-exact fixed image reads the same either way.
        byte[] bytes = TestImages.create(10 << 20, "subformat=fixed").toByteArray();
        try (BlockImage image = TestImages.open(MemoryBlockFile.of("f.vhd", bytes), true, "")) {
            assertEquals(10_514_432, image.size());
            assertTrue(image.info().formatSpecific().get("size-source").toString().startsWith("current-size"));
        }
    }
}
