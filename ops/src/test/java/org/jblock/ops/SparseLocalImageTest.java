package org.jblock.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ProgressListener;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sparse local images: on JDK 22+ on Linux (on a file system that keeps files sparse) block status lists
 * a raw file's data runs and its holes, so map, convert and compare cost what the data costs; on
 * JDK 17 it reports the documented all-data extent and convert still leaves a sparse target. The
 * build runs this class on both JDKs when it finds a JDK 22+.
 */
class SparseLocalImageTest {
    private static final DriverRegistry REGISTRY = DriverRegistry.load();
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private boolean holesExpected() throws IOException {
        return Runtime.version().feature() >= 22
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && keepsHoles();
    }

    /** Whether the file system keeps a grown file sparse (then it reports holes to SEEK_DATA too). */
    private boolean keepsHoles() throws IOException {
        Path probe = dir.resolve("probe.sparse");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(probe.toFile(), "rw")) {
            file.setLength(64 << 20);
        }
        try {
            return allocatedBytes(probe) == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.delete(probe);
        }
    }

    /** @return the bytes the file occupies on disk, as {@code stat} reports them */
    private static long allocatedBytes(Path path) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", path.toString()).redirectErrorStream(true).start();
        String[] out = new String(stat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim().split(" ");
        assertEquals(0, stat.waitFor(), "stat -c '%b %B' " + path);
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    /** A sparse raw file of {@code size} bytes with 1 MiB of data at each of {@code runs}. */
    private Path sparseRaw(String name, long size, long... runs) throws IOException {
        Path path = dir.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size);
            for (long run : runs) {
                file.seek(run);
                file.write(filled((int) MIB, 0x5a));
            }
        }
        return path;
    }

    @Test
    void map_of_a_sparse_raw_lists_its_data_runs_and_holes() throws Exception {
        Path path = sparseRaw("sparse.raw", 64 * MIB, 4 * MIB, 40 * MIB);
        try (BlockImage image = REGISTRY.open(path, new OpenSpec("raw", true, false, ""))) {
            List<Extent> map = image.blockStatus(0, image.size());
            if (holesExpected()) {
                assertEquals(List.of(false, true, false, true, false), map.stream().map(Extent::data).toList(),
                        map.toString());
                assertTrue(map.stream().filter(e -> !e.data()).allMatch(Extent::zero), map.toString());
                assertEquals(List.of(0L, 4 * MIB, 5 * MIB, 40 * MIB, 41 * MIB),
                        map.stream().map(Extent::start).toList(), map.toString());
                assertEquals(64 * MIB, map.get(4).start() + map.get(4).length());
            } else {
                assertEquals(List.of(Extent.data(0, 64 * MIB, 0)), map, "JDK 17: one data extent, the documented fallback");
            }
        }
    }

    @Test
    void convert_of_an_empty_raw_to_vpc_stays_sparse_and_equals_it() throws Exception {
        // 32 GiB where holes are known (then it costs nothing); JDK 17 reads every byte, so less.
        long size = holesExpected() ? 32 * GIB : 256 * MIB;
        Path raw = sparseRaw("empty.raw", size);
        Path vhd = dir.resolve("empty.vhd");
        try (BlockImage source = REGISTRY.open(raw, new OpenSpec("raw", true, false, ""))) {
            REGISTRY.create(vhd, "vpc", size, "");
            try (BlockImage target = REGISTRY.open(vhd, new OpenSpec("vpc", false, false, ""))) {
                new ImageCopier(List.of(source), target, true, 4096, 2, false, ProgressListener.NONE).copy();
                target.flush();
            }
        }
        assertTrue(Files.size(vhd) < 64 * MIB, "no data block allocated: " + Files.size(vhd) + " bytes");
        try (BlockImage a = REGISTRY.open(raw, new OpenSpec("raw", true, false, ""));
             BlockImage b = REGISTRY.open(vhd, new OpenSpec("vpc", true, false, ""))) {
            assertTrue(b.size() >= size);
            assertTrue(b.blockStatus(0, b.size()).stream().noneMatch(Extent::data), "the VHD holds no data");
            assertEquals(ImageComparison.Verdict.IDENTICAL,
                    ImageComparison.compare(a, b, false, ProgressListener.NONE).verdict());
        }
    }

    @Test
    void compare_passes_long_holes_and_still_finds_data_behind_them() throws Exception {
        // past the 1 GiB look-ahead of one zero stretch where holes are known; JDK 17 reads every byte
        long size = holesExpected() ? 3 * GIB : 64 * MIB;
        long data = size - 3 * MIB;
        Path empty = sparseRaw("empty-a.raw", size);
        Path withData = sparseRaw("data.raw", size, data);
        try (BlockImage a = REGISTRY.open(empty, new OpenSpec("raw", true, false, ""));
             BlockImage b = REGISTRY.open(withData, new OpenSpec("raw", true, false, ""))) {
            ImageComparison.Result differs = ImageComparison.compare(a, b, false, ProgressListener.NONE);
            assertEquals(ImageComparison.Verdict.CONTENT_MISMATCH, differs.verdict());
            assertEquals(data, differs.offset());
            assertEquals(ImageComparison.Verdict.IDENTICAL,
                    ImageComparison.compare(a, a, true, ProgressListener.NONE).verdict());
        }
    }

    @Test
    void zeroes_that_may_unmap_punch_a_hole_in_a_fixed_vhd() throws Exception {
        Path vhd = dir.resolve("punched.vhd");
        REGISTRY.create(vhd, "vpc", 64 * MIB, "subformat=fixed");
        try (BlockImage image = REGISTRY.open(vhd, new OpenSpec("vpc", false, false, ""))) {
            image.write(0, ByteBuffer.wrap(filled((int) (16 * MIB), 2)));
            image.writeZeroes(4 * MIB, 8 * MIB, true);
            image.flush();
            ByteBuffer back = ByteBuffer.allocate((int) (16 * MIB));
            image.read(0, back);
            byte[] expected = filled((int) (16 * MIB), 2);
            java.util.Arrays.fill(expected, (int) (4 * MIB), (int) (12 * MIB), (byte) 0);
            assertArrayEquals(expected, back.array());
            List<Extent> map = image.blockStatus(0, 16 * MIB);
            if (holesExpected()) {
                assertEquals(List.of(0L, 4 * MIB, 12 * MIB), map.stream().map(Extent::start).toList(), map.toString());
                assertEquals(List.of(true, false, true), map.stream().map(Extent::data).toList(), map.toString());
            } else {
                assertEquals(List.of(Extent.data(0, 16 * MIB, 0)), map);
            }
        }
        try (BlockImage reopened = REGISTRY.open(vhd, new OpenSpec(null, true, false, ""))) {
            assertEquals("vpc", reopened.info().format(), "the footer is intact");
        }
    }

    @Test
    void a_fixed_vhd_that_is_all_holes_maps_as_zeros_where_holes_are_known() throws Exception {
        Path vhd = dir.resolve("fixed.vhd");
        REGISTRY.create(vhd, "vpc", 64 * MIB, "subformat=fixed");
        try (RandomAccessFile file = new RandomAccessFile(vhd.toFile(), "rw")) {
            file.seek(8 * MIB);
            file.write(filled((int) MIB, 1));
        }
        try (BlockImage image = REGISTRY.open(vhd, new OpenSpec("vpc", true, false, ""))) {
            List<Extent> map = image.blockStatus(0, image.size());
            ByteBuffer back = ByteBuffer.allocate((int) MIB);
            image.read(8 * MIB, back);
            assertArrayEquals(filled((int) MIB, 1), back.array());
            if (holesExpected()) {
                assertEquals(List.of(0L, 8 * MIB, 9 * MIB), map.stream().map(Extent::start).toList(), map.toString());
                assertEquals(List.of(false, true, false), map.stream().map(Extent::data).toList(), map.toString());
            } else {
                assertEquals(List.of(Extent.data(0, image.size(), 0)), map);
            }
        }
    }
}
