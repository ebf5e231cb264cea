package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.spi.ProbeInput;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guard on raw images whose format was guessed: no write may turn them into another format. */
class ProbedRawImageTest {
    private static final int SIZE = 1 << 20;
    private static final TestDrivers.Magic MAGIC = new TestDrivers.Magic();
    private final DriverRegistry registry = DriverRegistry.of(TestDrivers.raw(), MAGIC, new TestDrivers.Footer());
    private MemoryBlockFile file;

    @BeforeEach
    void makeFile() throws IOException {
        file = DriverRegistryTestData.randomFile(SIZE);
    }

    private BlockImage openProbed() throws IOException {
        return registry.open(file.reopen(false), OpenSpec.readWrite());
    }

    private void assertRefusedNamingTheFormat(String format, InvalidRequestException e) {
        assertEquals("mem.img: refusing the write: it would make the image look like a '" + format + "' image, and its"
                + " format was only guessed as raw from its content; name the format (-f raw) to allow writes to its"
                + " first and last bytes", e.getMessage());
    }

    @Test
    void refuses_a_write_of_another_format_s_magic_to_the_first_bytes() throws Exception {
        byte[] before = file.toByteArray();
        try (BlockImage image = openProbed()) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> image.write(0, ByteBuffer.wrap(MAGIC.header('\0'))));
            assertRefusedNamingTheFormat("magic", e);
        }
        assertArrayEquals(before, file.toByteArray(), "nothing was written");
    }

    @Test
    void checks_the_content_the_write_leaves_not_the_write_alone() throws Exception {
        byte[] before = file.toByteArray();
        try (BlockImage image = openProbed()) {
            image.write(0, ByteBuffer.wrap(TestDrivers.ascii("JBMAG")));
            assertThrows(InvalidRequestException.class, () -> image.write(5, ByteBuffer.wrap(TestDrivers.ascii("IC!"))));

            ByteBuffer head = ByteBuffer.allocate(8);
            image.read(0, head);
            assertEquals("JBMAG", new String(head.array(), 0, 5, java.nio.charset.StandardCharsets.US_ASCII));
            assertArrayEquals(Arrays.copyOfRange(before, 5, 8), Arrays.copyOfRange(head.array(), 5, 8),
                    "the refused write left nothing");
        }
    }

    @Test
    void two_concurrent_writes_cannot_make_a_format_together() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (BlockImage image = openProbed()) {
            for (int round = 0; round < 100; round++) {
                image.write(0, ByteBuffer.wrap(DriverRegistryTestData.random(8, round)));
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> front = pool.submit(() -> writeAfter(start, image, 0, "JBMA"));
                Future<Boolean> back = pool.submit(() -> writeAfter(start, image, 4, "GIC!"));
                start.countDown();

                assertTrue(front.get() ^ back.get(), "exactly one half of the magic is written, round " + round);
                ByteBuffer head = ByteBuffer.allocate(8);
                image.read(0, head);
                assertFalse(Arrays.equals(TestDrivers.ascii("JBMAGIC!"), head.array()), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** @return whether the write was let through */
    private static boolean writeAfter(CountDownLatch start, BlockImage image, long offset, String text) throws Exception {
        start.await();
        try {
            image.write(offset, ByteBuffer.wrap(TestDrivers.ascii(text)));
            return true;
        } catch (InvalidRequestException refused) {
            return false;
        }
    }

    @Test
    void refuses_a_footer_written_to_the_last_bytes_also_by_a_write_that_starts_before_them() throws Exception {
        try (BlockImage image = openProbed()) {
            assertThrows(InvalidRequestException.class,
                    () -> image.write(SIZE - 512, ByteBuffer.wrap(TestDrivers.Footer.footer(true))));

            byte[] crossing = new byte[100_000];
            System.arraycopy(TestDrivers.Footer.footer(true), 0, crossing, crossing.length - 512, 512);
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> image.write(SIZE - crossing.length, ByteBuffer.wrap(crossing)));
            assertRefusedNamingTheFormat("footer", e);
        }
    }

    @Test
    void lets_through_writes_that_keep_the_content_raw() throws Exception {
        byte[] data = DriverRegistryTestData.random(10_000, 11);
        try (BlockImage image = openProbed()) {
            image.write(0, ByteBuffer.wrap(data));
            image.write(SIZE - 512, ByteBuffer.wrap(data, 0, 512));
            image.write(SIZE / 2, ByteBuffer.wrap(TestDrivers.Footer.footer(true)));
            image.writeZeroes(0, 4096, true);
            image.discard(0, 512);
        }
        byte[] content = file.toByteArray();
        assertArrayEquals(new byte[4096], Arrays.copyOf(content, 4096));
        assertArrayEquals(Arrays.copyOfRange(data, 4096, 10_000), Arrays.copyOfRange(content, 4096, 10_000));
        assertArrayEquals(Arrays.copyOf(data, 512), Arrays.copyOfRange(content, SIZE - 512, SIZE));
    }

    @Test
    void refuses_a_resize_that_would_expose_a_footer_as_the_last_bytes() throws Exception {
        try (BlockImage image = openProbed()) {
            image.write(SIZE / 2 - 512, ByteBuffer.wrap(TestDrivers.Footer.footer(true)));

            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> image.resize(SIZE / 2));
            assertTrue(e.getMessage().startsWith("mem.img: refusing the resize: it would make the image look like a"
                    + " 'footer' image"), e.getMessage());
            assertEquals(SIZE, image.size());

            image.resize(SIZE / 2 + 1);
            image.resize(2L * SIZE);
            assertEquals(2L * SIZE, image.size());
        }
    }

    @Test
    void a_named_raw_format_has_no_guard() throws Exception {
        try (BlockImage image = registry.open(file.reopen(false), OpenSpec.readWrite().withFormat("raw"))) {
            image.write(0, ByteBuffer.wrap(MAGIC.header('\0')));
        }
        // Which is why the guard exists: the next probe reads the disk as another format.
        try (BlockImage image = registry.open(file.reopen(true), OpenSpec.readOnlySpec())) {
            assertEquals("magic", image.info().format());
        }
    }

    @Test
    void a_read_only_probed_raw_image_refuses_writes_as_read_only() throws Exception {
        try (BlockImage image = registry.open(file.reopen(true), OpenSpec.readOnlySpec())) {
            assertThrows(ReadOnlyImageException.class, () -> image.write(0, ByteBuffer.wrap(MAGIC.header('\0'))));
        }
    }

    @Test
    void requests_beyond_the_end_get_the_image_s_own_error() throws Exception {
        try (BlockImage image = openProbed()) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> image.write(SIZE - 4, ByteBuffer.allocate(8)));
            assertEquals("mem.img: request at offset " + (SIZE - 4) + " for 8 bytes is beyond the end of the image ("
                    + SIZE + " bytes)", e.getMessage());
            assertThrows(InvalidRequestException.class, () -> image.writeZeroes(-1, 8, false));
        }
    }

    @Test
    void passes_everything_else_to_the_raw_image() throws Exception {
        byte[] before = file.toByteArray();
        BlockImage image = openProbed();
        ByteBuffer middle = ByteBuffer.allocate(ProbeInput.HEAD_BYTES);
        image.read(SIZE / 3, middle);
        image.flush();

        assertArrayEquals(Arrays.copyOfRange(before, SIZE / 3, SIZE / 3 + ProbeInput.HEAD_BYTES), middle.array());
        assertEquals("raw", image.info().format());
        assertEquals("mem.img", image.name());
        assertEquals(false, image.isReadOnly());
        assertEquals(List.of(Extent.data(0, SIZE, 0)), image.blockStatus(0, SIZE));
        assertThrows(org.jblock.api.UnsupportedFeatureException.class, () -> image.check(org.jblock.api.CheckMode.REPORT));
        image.close();
        assertInstanceOf(org.jblock.api.ImageClosedException.class,
                assertThrows(InvalidRequestException.class, () -> image.read(0, ByteBuffer.allocate(1))));
    }
}
