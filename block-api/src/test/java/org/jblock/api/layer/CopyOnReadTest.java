package org.jblock.api.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import org.jblock.api.BlockFile;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.support.AbstractBlockImage;
import org.junit.jupiter.api.Test;

/**
 * Copy-on-read over a real layered image: an in-memory overlay (the top layer) over a base whose
 * first half holds data and whose second half is a hole that reads as zeros.
 */
class CopyOnReadTest {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 64 * MIB;

    /** A raw image over memory: data in [0, SIZE/2), zeros it reports as such above; counts its reads. */
    private static class Base extends AbstractBlockImage {
        final List<long[]> reads = new ArrayList<>();

        Base(BlockFile file) {
            super("raw", file, true);
        }

        @Override
        protected long doSize() {
            return SIZE;
        }

        @Override
        protected void doRead(long offset, ByteBuffer dst) throws IOException {
            synchronized (reads) {
                reads.add(new long[] {offset, dst.remaining()});
            }
            while (dst.hasRemaining()) {
                long at = offset + dst.position();
                if (at >= SIZE / 2) {
                    dst.put(new byte[dst.remaining()]);
                } else {
                    ByteBuffer part = dst.slice().limit((int) Math.min(dst.remaining(), SIZE / 2 - at));
                    file().readFully(part, at);
                    dst.position(dst.position() + part.limit());
                }
            }
        }

        @Override
        protected void doWrite(long offset, ByteBuffer src) {
            throw new AssertionError("the base is never written");
        }

        @Override
        protected List<Extent> doBlockStatus(long offset, long length) {
            List<Extent> runs = new ArrayList<>();
            long half = SIZE / 2;
            if (offset < half) {
                runs.add(Extent.data(offset, Math.min(half, offset + length) - offset, offset));
            }
            if (offset + length > half) {
                long from = Math.max(offset, half);
                runs.add(new Extent(from, offset + length - from, false, true, true, OptionalLong.empty()));
            }
            return runs;
        }

        @Override
        protected ImageInfo doInfo() {
            return new ImageInfo("raw", SIZE, 0, java.util.Map.of());
        }
    }

    private static byte[] pattern(int length, long start) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ((start + i) * 31 >>> 9);
        }
        return bytes;
    }

    private final Base base;
    private final MemoryOverlay overlay;

    CopyOnReadTest() throws IOException {
        MemoryBlockFile file = new MemoryBlockFile("base");
        file.write(ByteBuffer.wrap(pattern(SIZE / 2, 0)), 0);
        base = new Base(file);
        overlay = MemoryOverlay.over(base);
    }

    private List<Extent> topRuns() throws IOException {
        return overlay.blockStatus(0, SIZE).stream().filter(e -> e.depth() == 0).toList();
    }

    @Test
    void aReadCopiesWhatItFoundBelowIntoTheTopLayer() throws IOException {
        try (CopyOnRead image = CopyOnRead.over(overlay)) {
            ByteBuffer read = ByteBuffer.allocate(5000);
            image.read(10_000, read);
            assertArrayEquals(pattern(5000, 10_000), read.array());
            assertEquals(read.capacity(), read.position(), "the caller's buffer is filled");
            // Sectors are the overlay's cluster: [9728, 15360) is now the top layer's.
            assertEquals(1, topRuns().size());
            assertEquals(9728, topRuns().get(0).start());
            assertEquals(15360, topRuns().get(0).end());
            int readsBefore = base.reads.size();
            image.read(10_000, ByteBuffer.allocate(5000));
            assertEquals(readsBefore, base.reads.size(), "a second read finds the data in the top layer");
        }
    }

    @Test
    void aReadLargerThanOnePieceIsCopiedInBoundedPiecesAndZerosAreNotRead() throws IOException {
        try (CopyOnRead image = CopyOnRead.over(overlay)) {
            long start = SIZE / 2 - 20L * MIB;
            int length = 28 * MIB;
            ByteBuffer read = ByteBuffer.allocate(length);
            image.read(start, read);
            byte[] expected = new byte[length];
            System.arraycopy(pattern(20 * MIB, start), 0, expected, 0, 20 * MIB);
            assertArrayEquals(expected, read.array());
            // The overlay reads single sectors of the base to complete the sectors it is written; the
            // copy's own reads are the larger ones.
            List<long[]> copyReads = base.reads.stream().filter(r -> r[1] > 512).toList();
            assertEquals(2, copyReads.size(), "20 MiB of data read in two pieces");
            for (long[] r : copyReads) {
                assertTrue(r[1] <= CopyOnRead.MAX_COPY, "a piece of " + r[1] + " bytes");
                assertTrue(r[0] < SIZE / 2, "the zeros block status reports are not read: " + r[0]);
            }
            assertEquals(List.of(start, start + length), List.of(topRuns().get(0).start(),
                    topRuns().get(topRuns().size() - 1).end()));
        }
    }

    @Test
    void aCopyThatCannotBeWrittenFailsTheRead() throws IOException {
        MemoryOverlay failing = MemoryOverlay.over(new Base(MemoryBlockFile.of("other", pattern(SIZE / 2, 0))));
        try (CopyOnRead image = CopyOnRead.over(new org.jblock.api.spi.support.DelegatingBlockImage(failing) {
            @Override
            public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
                throw new IOException("No space left on device");
            }
        })) {
            IOException e = assertThrows(IOException.class, () -> image.read(0, ByteBuffer.allocate(512)));
            assertEquals("No space left on device", e.getMessage());
        }
    }

    @Test
    void aWriteDuringACopyIsNeverOverwrittenByIt() throws Exception {
        java.util.concurrent.CountDownLatch copyReading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Base gated = new Base(MemoryBlockFile.of("gated", pattern(SIZE / 2, 0))) {
            @Override
            protected void doRead(long offset, ByteBuffer dst) throws IOException {
                if (dst.remaining() > 512) {      // the copy's read, not the overlay's sector reads
                    copyReading.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                super.doRead(offset, dst);
            }
        };
        try (CopyOnRead image = CopyOnRead.over(MemoryOverlay.over(gated))) {
            Thread reader = new Thread(() -> {
                try {
                    image.read(0, ByteBuffer.allocate(4096));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            reader.start();
            copyReading.await();
            Thread writer = new Thread(() -> {
                try {
                    image.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            // The write either waits for the copy (as it must) or has gone through before it.
            for (int i = 0; i < 500 && writer.getState() != Thread.State.BLOCKED && writer.isAlive(); i++) {
                Thread.sleep(10);
            }
            release.countDown();
            reader.join(10_000);
            writer.join(10_000);
            ByteBuffer head = ByteBuffer.allocate(4);
            image.read(0, head);
            assertArrayEquals(new byte[] {1, 2, 3, 4}, head.array(), "the write is newer than the copy");
        }
    }

    @Test
    void aReadOnlyImageCannotCopyOnRead() {
        Base readOnly = new Base(new MemoryBlockFile("ro"));
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> CopyOnRead.over(readOnly));
        assertEquals("Can't use copy-on-read on read-only device", e.getMessage());
    }
}
