package org.jblock.api.spi.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.Extent;
import org.jblock.api.ImageClosedException;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AbstractBlockImageTest {
    private static final int SIZE = 3 << 20;

    /** An identity image over its file that counts what reaches the driver and reports set extents. */
    static final class CountingImage extends AbstractBlockImage {
        final AtomicInteger driverCalls = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger flushes = new AtomicInteger();
        List<Extent> extents = List.of();

        CountingImage(BlockFile file, boolean readOnly) {
            super("counting", file, readOnly);
        }

        @Override
        protected long doSize() {
            return SIZE;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            driverCalls.incrementAndGet();
            file().readFully(dst, offset);
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            driverCalls.incrementAndGet();
            file().write(src, offset);
        }

        @Override
        protected List<Extent> doBlockStatus(long offset, long length) {
            driverCalls.incrementAndGet();
            return extents;
        }

        @Override
        protected void doFlush() throws IOException {
            flushes.incrementAndGet();
            super.doFlush();
        }

        @Override
        protected void doClose() {
            closes.incrementAndGet();
        }
    }

    private static MemoryBlockFile filled() throws IOException {
        byte[] content = new byte[SIZE];
        java.util.Arrays.fill(content, (byte) 0x5a);
        return MemoryBlockFile.of("img", content);
    }

    @ParameterizedTest(name = "offset {0} length {1}")
    @CsvSource({"-1, 1", "0, -1", "3145728, 1", "3145727, 2", "0, 3145729", "9223372036854775807, 1",
            "1, 9223372036854775807"})
    void refuses_ranges_beyond_the_end_before_any_io(long offset, long length) throws Exception {
        MemoryBlockFile file = filled();
        CountingImage image = new CountingImage(file, false);

        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> image.writeZeroes(offset, length, true));
        assertThrows(InvalidRequestException.class, () -> image.discard(offset, length));
        assertThrows(InvalidRequestException.class, () -> image.blockStatus(offset, length));

        assertEquals("img: request at offset " + offset + " for " + length
                + " bytes is beyond the end of the image (" + SIZE + " bytes)", e.getMessage());
        assertEquals(0, image.driverCalls.get());
        assertEquals(0x5a, file.toByteArray()[SIZE - 1]);
    }

    @ParameterizedTest(name = "offset {0} length {1}")
    @CsvSource({"-1, 1", "3145728, 1", "3145727, 2", "3145000, 4096", "9223372036854775807, 1"})
    void refuses_reads_and_writes_beyond_the_end_before_any_io(long offset, int length) throws Exception {
        MemoryBlockFile file = filled();
        CountingImage image = new CountingImage(file, false);

        assertThrows(InvalidRequestException.class, () -> image.read(offset, ByteBuffer.allocate(length)));
        assertThrows(InvalidRequestException.class, () -> image.write(offset, ByteBuffer.allocate(length)));

        assertEquals(0, image.driverCalls.get());
        assertEquals(SIZE, file.size());
        assertEquals(0x5a, file.toByteArray()[SIZE - 1], "a refused write leaves the image unchanged");
    }

    @Test
    void serves_the_last_byte_and_empty_requests_at_the_end() throws Exception {
        CountingImage image = new CountingImage(filled(), false);
        ByteBuffer last = ByteBuffer.allocate(1);
        image.read(SIZE - 1, last);
        image.read(SIZE, ByteBuffer.allocate(0));
        image.write(SIZE, ByteBuffer.allocate(0));

        assertEquals(0x5a, last.get(0));
        assertEquals(List.of(), image.blockStatus(SIZE, 0));
        assertEquals(1, image.driverCalls.get(), "empty requests never reach the driver");
    }

    @Test
    void a_read_only_image_refuses_every_change() throws Exception {
        MemoryBlockFile file = filled();
        CountingImage image = new CountingImage(file.reopen(true), true);

        assertTrue(image.isReadOnly());
        ReadOnlyImageException e = assertThrows(ReadOnlyImageException.class,
                () -> image.write(0, ByteBuffer.allocate(4)));
        assertEquals("img: Block node is read-only", e.getMessage());
        assertThrows(ReadOnlyImageException.class, () -> image.writeZeroes(0, 4, false));
        assertThrows(ReadOnlyImageException.class, () -> image.discard(0, 4));
        assertThrows(ReadOnlyImageException.class, () -> image.resize(4));
        assertThrows(ReadOnlyImageException.class, () -> image.check(CheckMode.REPAIR_ALL));
        image.flush();
        image.close();

        assertEquals(0, image.driverCalls.get());
        assertEquals(0, image.flushes.get(), "a read-only image is never flushed");
        assertEquals(0x5a, file.toByteArray()[0]);
    }

    @Test
    void closing_twice_is_harmless_and_closes_the_file_once() throws Exception {
        MemoryBlockFile file = filled();
        CountingImage image = new CountingImage(file, false);

        image.close();
        image.close();

        assertEquals(1, image.closes.get());
        assertEquals(1, image.flushes.get(), "a writable image is flushed on close");
        assertThrows(ImageClosedException.class, file::size);
    }

    @Test
    void use_after_close_fails_with_image_closed() throws Exception {
        CountingImage image = new CountingImage(filled(), false);
        image.close();

        ImageClosedException e = assertThrows(ImageClosedException.class, () -> image.read(0, ByteBuffer.allocate(1)));
        assertEquals("img: image is closed", e.getMessage());
        assertThrows(ImageClosedException.class, () -> image.write(0, ByteBuffer.allocate(1)));
        assertThrows(ImageClosedException.class, () -> image.blockStatus(0, 1));
        assertThrows(ImageClosedException.class, image::flush);
        assertThrows(ImageClosedException.class, image::info);
        assertThrows(ImageClosedException.class, () -> image.check(CheckMode.REPORT));
        assertThrows(ImageClosedException.class, () -> image.resize(1));
    }

    @Test
    void merges_neighbouring_extents_that_agree_in_flags_and_mapping() throws Exception {
        CountingImage image = new CountingImage(filled(), false);
        image.extents = List.of(
                Extent.data(0, 100, 1000),
                Extent.data(100, 50, 1100),
                Extent.data(150, 50, 5000),
                Extent.zero(200, 100, true),
                Extent.zero(300, 100, true),
                Extent.zero(400, 100, false),
                new Extent(500, 100, true, false, true, OptionalLong.empty()),
                new Extent(600, 100, true, false, true, OptionalLong.empty()));

        assertEquals(List.of(
                Extent.data(0, 150, 1000),
                Extent.data(150, 50, 5000),
                Extent.zero(200, 200, true),
                Extent.zero(400, 100, false),
                new Extent(500, 200, true, false, true, OptionalLong.empty())), image.blockStatus(0, 700));
    }

    @Test
    void by_default_zeroes_by_writing_zeros_across_chunks() throws Exception {
        MemoryBlockFile file = filled();
        CountingImage image = new CountingImage(file, false);

        image.writeZeroes(1, SIZE - 2, false);

        byte[] content = file.toByteArray();
        assertEquals(0x5a, content[0]);
        assertEquals(0x5a, content[SIZE - 1]);
        assertArrayEquals(new byte[SIZE - 2], java.util.Arrays.copyOfRange(content, 1, SIZE - 1));
        assertTrue(image.driverCalls.get() >= 3, "3 MiB of zeros go down in chunks");
    }

    @Test
    void by_default_reports_all_data_and_has_no_check_or_resize() throws Exception {
        MemoryBlockFile file = filled();
        AbstractBlockImage image = new AbstractBlockImage("plain", file, false) {
            @Override
            protected long doSize() {
                return SIZE;
            }

            @Override
            protected void doRead(long offset, ByteBuffer dst) {
                throw new AssertionError("not read");
            }

            @Override
            protected void doWrite(long offset, ByteBuffer src) {
                throw new AssertionError("not written");
            }
        };

        assertEquals(List.of(new Extent(10, 20, true, false, true, OptionalLong.empty())), image.blockStatus(10, 20));
        assertEquals(new ImageInfo("plain", SIZE, 0, Map.of()), image.info());
        assertEquals("img", image.name());
        UnsupportedFeatureException check = assertThrows(UnsupportedFeatureException.class,
                () -> image.check(CheckMode.REPORT));
        assertEquals("This image format does not support checks", check.getMessage());
        assertThrows(UnsupportedFeatureException.class, () -> image.resize(SIZE * 2L));
        InvalidRequestException negative = assertThrows(InvalidRequestException.class, () -> image.resize(-1));
        assertEquals("img: invalid size -1", negative.getMessage());
        assertDoesNotThrow(() -> image.discard(0, SIZE));
        image.close();
    }

    @Test
    void a_failing_flush_on_close_still_closes_the_file() throws Exception {
        MemoryBlockFile file = filled();
        List<String> calls = new ArrayList<>();
        CountingImage image = new CountingImage(new DelegatingBlockFile(file) {
            @Override
            public void flush() throws IOException {
                calls.add("flush");
                throw new IOException("disk gone");
            }

            @Override
            public void close() throws IOException {
                calls.add("close");
                super.close();
            }
        }, false);

        IOException e = assertThrows(IOException.class, image::close);
        assertEquals("disk gone", e.getMessage());
        assertEquals(List.of("flush", "close"), calls);
        assertThrows(ImageClosedException.class, () -> image.read(0, ByteBuffer.allocate(1)));
        assertDoesNotThrow(image::close);
    }

    /** An image whose reads wait at a gate, and whose resize records whether a read was in flight. */
    static final class GatedImage extends AbstractBlockImage {
        final CountDownLatch readEntered = new CountDownLatch(1);
        final CountDownLatch releaseRead = new CountDownLatch(1);
        final AtomicInteger readsInFlight = new AtomicInteger();
        volatile int readsInFlightAtResize = -1;
        volatile long size = SIZE;

        GatedImage(BlockFile file) {
            super("gated", file, false);
        }

        @Override
        protected long doSize() {
            return size;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            readsInFlight.incrementAndGet();
            try {
                readEntered.countDown();
                releaseRead.await();
                file().readFully(dst, offset);
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            } finally {
                readsInFlight.decrementAndGet();
            }
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) throws IOException {
            file().write(src, offset);
        }

        @Override
        protected void doResize(long newSize) {
            readsInFlightAtResize = readsInFlight.get();
            size = newSize;
        }
    }

    @Test
    void resize_waits_for_io_in_flight_and_later_requests_see_the_new_size() throws Exception {
        GatedImage image = new GatedImage(filled());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> read = pool.submit(() -> {
                image.read(SIZE - 512, ByteBuffer.allocate(512));
                return null;
            });
            assertTrue(image.readEntered.await(10, TimeUnit.SECONDS));
            Future<?> resize = pool.submit(() -> {
                image.resize(SIZE / 2);
                return null;
            });

            // The resize cannot start while the read is inside the driver.
            assertThrows(TimeoutException.class,
                    () -> resize.get(200, TimeUnit.MILLISECONDS));
            image.releaseRead.countDown();
            read.get(10, TimeUnit.SECONDS);
            resize.get(10, TimeUnit.SECONDS);

            assertEquals(0, image.readsInFlightAtResize);
            assertThrows(InvalidRequestException.class, () -> image.read(SIZE - 512, ByteBuffer.allocate(512)));
        } finally {
            pool.shutdownNow();
        }
    }
}
