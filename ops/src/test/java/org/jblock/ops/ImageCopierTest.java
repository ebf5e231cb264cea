package org.jblock.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ProgressListener;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.jblock.registry.CacheMode;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The convert engine on in-memory images. */
class ImageCopierTest {
    private static final DriverRegistry REGISTRY = DriverRegistry.load();

    /** A raw in-memory image of {@code size} bytes: random data in some 4 KiB granules, zeros elsewhere. */
    private static byte[] mixedContent(int size, long seed) {
        byte[] content = new byte[size];
        Random random = new Random(seed);
        for (int at = 0; at < size; at += 4096) {
            if (random.nextInt(3) == 0) {
                byte[] granule = new byte[4096];
                random.nextBytes(granule);
                System.arraycopy(granule, 0, content, at, Math.min(4096, size - at));
            }
        }
        content[size - 1] = 7; // a last byte in a partial granule
        return content;
    }

    private static BlockImage rawImage(BlockFileCounter file, byte[] content) throws IOException {
        file.write(ByteBuffer.wrap(content), 0);
        return REGISTRY.open(file, new OpenSpec("raw", false, false, ""));
    }

    private static byte[] contentOf(BlockImage image) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) image.size());
        image.read(0, all);
        return all.array();
    }

    @ParameterizedTest(name = "{0} workers, out of order {1}")
    @CsvSource({"1, false", "4, false", "8, true"})
    void copiesEveryByteAndWritesNoZerosIntoANewImage(int workers, boolean outOfOrder) throws IOException {
        int size = 5 * ImageCopier.CHUNK + 12345;
        byte[] content = mixedContent(size, workers);
        BlockFileCounter targetFile = new BlockFileCounter("dst");
        try (BlockImage source = rawImage(new BlockFileCounter("src"), content);
             BlockImage target = rawImage(targetFile, new byte[0])) {
            target.resize(size);
            long writtenBefore = targetFile.written.get();
            new ImageCopier(List.of(source), target, true, 4096, workers, outOfOrder, ProgressListener.NONE).copy();
            org.junit.jupiter.api.Assertions.assertArrayEquals(content, contentOf(target));
            long nonZeroGranules = 0;
            for (int at = 0; at < size; at += 4096) {
                boolean zero = true;
                for (int i = at; i < Math.min(size, at + 4096) && zero; i++) {
                    zero = content[i] == 0;
                }
                nonZeroGranules += zero ? 0 : Math.min(4096, size - at);
            }
            assertEquals(nonZeroGranules, targetFile.written.get() - writtenBefore,
                    "only the non-zero granules are written");
        }
    }

    @ParameterizedTest(name = "{0} workers")
    @CsvSource({"1", "3"})
    void passesLongStretchesOfHolesInOneStepAndStillCopiesTheDataBehindThem(int workers) throws IOException {
        // 1.5 GiB of holes and 4 chunks of data: chunk by chunk would ask the block status 768 times.
        long chunks = 768;
        int[] dataChunks = {0, 5, 700, 767};
        MemoryBlockFile sourceFile = new MemoryBlockFile("src");
        sourceFile.truncate(chunks * ImageCopier.CHUNK - 4096);
        byte[] data = new byte[8192];
        new Random(7).nextBytes(data);
        for (int chunk : dataChunks) {
            sourceFile.write(ByteBuffer.wrap(data), chunk * (long) ImageCopier.CHUNK + 4096);
        }
        AtomicLong statusCalls = new AtomicLong();
        AtomicLong lastProgress = new AtomicLong();
        BlockFileCounter targetFile = new BlockFileCounter("dst");
        try (BlockImage raw = REGISTRY.open(sourceFile, new OpenSpec("raw", true, false, ""));
             BlockImage source = new org.jblock.api.spi.support.DelegatingBlockImage(raw) {
                 @Override
                 public List<org.jblock.api.Extent> blockStatus(long offset, long length) throws IOException {
                     statusCalls.incrementAndGet();
                     return super.blockStatus(offset, length);
                 }
             };
             BlockImage target = rawImage(targetFile, new byte[0])) {
            target.resize(source.size());
            new ImageCopier(List.of(source), target, true, 4096, workers, false,
                    (done, total) -> lastProgress.accumulateAndGet(done, Math::max)).copy();
            assertEquals(dataChunks.length * (long) data.length, targetFile.written.get(), "only the data is written");
            ByteBuffer back = ByteBuffer.allocate(data.length);
            for (int chunk : dataChunks) {
                target.read(chunk * (long) ImageCopier.CHUNK + 4096, back.clear());
                org.junit.jupiter.api.Assertions.assertArrayEquals(data, back.array(), "chunk " + chunk);
            }
            assertTrue(target.blockStatus(6L * ImageCopier.CHUNK, 690L * ImageCopier.CHUNK).stream()
                    .allMatch(org.jblock.api.Extent::zero), "the holes stay zeros");
            assertTrue(statusCalls.get() < 40, statusCalls.get() + " block-status questions");
            assertEquals(source.size(), lastProgress.get(), "progress counts the skipped bytes once");
        }
    }

    @Test
    void writesZerosOverOldDataWhenTheTargetIsNotNew() throws IOException {
        int size = 3 * ImageCopier.CHUNK;
        byte[] content = mixedContent(size, 42);
        byte[] old = new byte[size];
        java.util.Arrays.fill(old, (byte) 0x5a);
        try (BlockImage source = rawImage(new BlockFileCounter("src"), content);
             BlockImage target = rawImage(new BlockFileCounter("dst"), old)) {
            new ImageCopier(List.of(source), target, false, 4096, 3, false, ProgressListener.NONE).copy();
            org.junit.jupiter.api.Assertions.assertArrayEquals(content, contentOf(target));
        }
    }

    @Test
    void concatenatesSources() throws IOException {
        byte[] first = mixedContent(ImageCopier.CHUNK + 512, 1);
        byte[] second = mixedContent(3 * 4096, 2);
        try (BlockImage a = rawImage(new BlockFileCounter("a"), first);
             BlockImage b = rawImage(new BlockFileCounter("b"), second);
             BlockImage target = rawImage(new BlockFileCounter("dst"), new byte[first.length + second.length])) {
            new ImageCopier(List.of(a, b), target, true, 0, 2, false, ProgressListener.NONE).copy();
            byte[] expected = new byte[first.length + second.length];
            System.arraycopy(first, 0, expected, 0, first.length);
            System.arraycopy(second, 0, expected, first.length, second.length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, contentOf(target));
        }
    }

    @Test
    void theFirstFailureStopsTheCopyAndIsThrown() throws IOException {
        int size = 8 * ImageCopier.CHUNK;
        MemoryBlockFile sourceFile = new MemoryBlockFile("failing");
        sourceFile.write(ByteBuffer.wrap(mixedContent(size, 3)), 0);
        BlockFileCounter failing = new BlockFileCounter("failing-src", sourceFile) {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                if (position >= 5L * ImageCopier.CHUNK) {
                    throw new BlockException("failing-src: Input/output error");
                }
                return super.read(dst, position);
            }
        };
        try (BlockImage source = REGISTRY.open(failing, new OpenSpec("raw", true, false, ""));
             BlockImage target = rawImage(new BlockFileCounter("dst"), new byte[size])) {
            BlockException e = assertThrows(BlockException.class,
                    () -> new ImageCopier(List.of(source), target, true, 4096, 4, false, ProgressListener.NONE).copy());
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        }
    }

    /** Counts the bytes written through it. */
    @ParameterizedTest(name = "{0} workers")
    @CsvSource({"1", "4"})
    void aSalvagingCopyZeroesOnlyTheSectorsThatFailAndReportsEach(int workers) throws IOException {
        int size = 3 * ImageCopier.CHUNK;
        byte[] content = new byte[size];
        new Random(42).nextBytes(content);
        long badRead1 = ImageCopier.CHUNK + 4096;
        long badRead2 = ImageCopier.CHUNK + 4608;
        long badStatus = 2L * ImageCopier.CHUNK + 1024;
        List<Long> readFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Long> statusFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (BlockImage healthy = rawImage(new BlockFileCounter("src"), content);
             BlockImage source = new FailingImage(healthy, List.of(badRead1, badRead2), badStatus);
             BlockImage target = rawImage(new BlockFileCounter("dst"), new byte[0])) {
            target.resize(size);
            new ImageCopier(List.of(source), target, true, 4096, workers, false, ProgressListener.NONE)
                    .salvaging(new ImageCopier.Salvage() {
                        @Override
                        public void blockStatusFailed(long offset, IOException cause) {
                            statusFailures.add(offset);
                            events.add("status " + offset);
                        }

                        @Override
                        public void readFailed(long offset, IOException cause) {
                            assertEquals("Input/output error", cause.getMessage());
                            readFailures.add(offset);
                            events.add("read " + offset);
                        }
                    })
                    .copy();
            byte[] expected = content.clone();
            java.util.Arrays.fill(expected, (int) badRead1, (int) badRead1 + 512, (byte) 0);
            java.util.Arrays.fill(expected, (int) badRead2, (int) badRead2 + 512, (byte) 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, contentOf(target),
                    "every readable byte is copied, the two bad sectors are zeros");
            assertEquals(List.of(badRead1, badRead2), readFailures.stream().sorted().toList());
            // qemu-img's order, whatever the workers: its survey of the block status first, then chunk
            // by chunk each chunk's block status before its reads.
            assertEquals(List.of("status " + badStatus, "read " + badRead1, "read " + badRead2, "status " + badStatus),
                    events);
        }
    }

    @Test
    void withoutSalvageAFailingReadFailsTheCopy() throws IOException {
        int size = ImageCopier.CHUNK;
        try (BlockImage healthy = rawImage(new BlockFileCounter("src"), new byte[size]);
             BlockImage source = new FailingImage(healthy, List.of(512L), -1);
             BlockImage target = rawImage(new BlockFileCounter("dst"), new byte[0])) {
            target.resize(size);
            // The source reports data (raw), so the bad sector is read and the copy fails.
            IOException failure = assertThrows(IOException.class, () ->
                    new ImageCopier(List.of(source), target, true, 4096, 1, false, ProgressListener.NONE).copy());
            assertEquals("Input/output error", failure.getMessage());
        }
    }

    /** A disk with bad sectors: reads touching them fail, and so does block status over one sector. */
    private static final class FailingImage extends org.jblock.api.spi.support.DelegatingBlockImage {
        private final List<Long> badSectors;
        private final long badStatusSector;

        FailingImage(BlockImage delegate, List<Long> badSectors, long badStatusSector) {
            super(delegate);
            this.badSectors = badSectors;
            this.badStatusSector = badStatusSector;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            for (long bad : badSectors) {
                if (offset < bad + 512 && bad < offset + dst.remaining()) {
                    throw new IOException("Input/output error");
                }
            }
            super.read(offset, dst);
        }

        @Override
        public List<org.jblock.api.Extent> blockStatus(long offset, long length) throws IOException {
            if (badStatusSector >= 0 && offset < badStatusSector + 512 && badStatusSector < offset + length) {
                throw new IOException("Input/output error");
            }
            return super.blockStatus(offset, length);
        }
    }

    /**
     * The engine of {@code convert} into a new VHD: in cache mode unsafe (convert's default for its
     * destination, as qemu-img's) no flush reaches the storage, not even the vpc driver's
     * allocation barriers; in writeback each new block's barriers do. The data is the same.
     */
    @Test
    void aNewVhdInCacheModeUnsafeSendsNoFlushToItsStorage() throws IOException {
        int size = 4 * ImageCopier.CHUNK;
        byte[] content = mixedContent(size, 3);
        long[] flushes = new long[2];
        List<CacheMode> modes = List.of(CacheMode.UNSAFE, CacheMode.WRITEBACK);
        for (int m = 0; m < modes.size(); m++) {
            AtomicLong flushed = new AtomicLong();
            BlockFileCounter storage = new BlockFileCounter("dst.vhd") {
                @Override
                public void flush() throws IOException {
                    flushed.incrementAndGet();
                    super.flush();
                }
            };
            REGISTRY.create(storage, "vpc", size, "");
            long afterCreate = flushed.get();
            try (BlockImage source = rawImage(new BlockFileCounter("src"), content);
                 BlockImage target = REGISTRY.open(storage, new OpenSpec("vpc", false, false, "").withCache(modes.get(m)))) {
                new ImageCopier(List.of(source), target, true, 4096, 2, false, ProgressListener.NONE).copy();
                target.flush();
                org.junit.jupiter.api.Assertions.assertArrayEquals(content, java.util.Arrays.copyOf(contentOf(target), size));
            }
            flushes[m] = flushed.get() - afterCreate;
        }
        assertEquals(0, flushes[0], "unsafe: no flush reaches the storage");
        assertTrue(flushes[1] >= 2 * 4, "writeback: two barriers for each of the 4 new blocks, got " + flushes[1]);
    }

    static class BlockFileCounter extends DelegatingBlockFile {
        final AtomicLong written = new AtomicLong();

        BlockFileCounter(String name) {
            this(name, new MemoryBlockFile(name));
        }

        BlockFileCounter(String name, MemoryBlockFile file) {
            super(file);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            written.addAndGet(src.remaining());
            super.write(src, position);
        }
    }
}
