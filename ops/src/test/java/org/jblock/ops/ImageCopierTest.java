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
