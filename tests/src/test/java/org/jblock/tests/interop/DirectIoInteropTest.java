package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.registry.CacheMode;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QEMU's cache modes none and directsync ({@code cache.direct=on}) on local files: the image's file
 * really is read and written with {@code O_DIRECT}, and images written that way, with a format's
 * unaligned metadata writes (512-byte sectors, 4-byte table entries), are byte for byte the images
 * the same writes make through the page cache, and {@code qemu-img} agrees.
 */
class DirectIoInteropTest {
    /** {@code O_DIRECT} in the octal {@code flags} of {@code /proc/self/fdinfo/N} on x86-64. */
    private static final int O_DIRECT = 040000;
    private static final long SIZE = 64L << 20;

    @TempDir
    Path dir;

    /** @return the {@code flags:} of each of this JVM's descriptors open on {@code path} */
    private static List<Integer> descriptorFlags(Path path) throws IOException {
        Path real = path.toRealPath();
        List<Integer> flags = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (!Files.readSymbolicLink(fd).equals(real)) {
                        continue;
                    }
                    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                        if (line.startsWith("flags:")) {
                            flags.add(Integer.parseInt(line.substring("flags:".length()).trim(), 8));
                        }
                    }
                } catch (IOException e) {
                    // a descriptor closed while the folder was listed (the listing's own)
                }
            }
        }
        return flags;
    }

    private static OpenSpec spec(String format, CacheMode mode) {
        return new OpenSpec(format, false, false, "").withCache(mode);
    }

    @Test
    void an_image_opened_with_cache_mode_none_has_its_file_open_with_o_direct() throws Exception {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fdinfo"))
                && (arch.equals("amd64") || arch.equals("x86_64")), "needs Linux's /proc and x86-64's O_DIRECT value");
        Path vhd = dir.resolve("d.vhd");
        JblockImages.REGISTRY.create(vhd, "vpc", SIZE, "");
        for (CacheMode mode : CacheMode.values()) {
            try (BlockImage image = JblockImages.REGISTRY.open(vhd, spec("vpc", mode))) {
                List<Integer> flags = descriptorFlags(vhd);
                assertFalse(flags.isEmpty(), "no descriptor of the image's file in /proc/self/fd");
                assertEquals(mode.direct(), flags.stream().anyMatch(f -> (f & O_DIRECT) != 0),
                        mode.modeName() + ": O_DIRECT among the descriptors' flags " + flags);
                image.write(12_345, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            }
        }
    }

    /** The same unaligned writes, zero writes and discards, the first image through the page cache. */
    private static void writeAll(BlockImage image, long seed) throws IOException {
        Random random = new Random(seed);
        for (int i = 0; i < 120; i++) {
            long at = (long) (random.nextDouble() * (SIZE - 300_000));
            int length = 1 + random.nextInt(i % 8 == 0 ? 300_000 : 5000);
            switch (random.nextInt(6)) {
                case 0 -> image.writeZeroes(at, length, random.nextBoolean());
                case 1 -> image.discard(at, length);
                default -> {
                    byte[] data = new byte[length];
                    random.nextBytes(data);
                    image.write(at, ByteBuffer.wrap(data));
                }
            }
            if (i % 40 == 39) {
                image.flush();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vpc", "qcow2"})
    void images_written_with_o_direct_equal_the_same_writes_through_the_page_cache(String format) throws Exception {
        Path cached = dir.resolve("cached." + format);
        Path direct = dir.resolve("direct." + format);
        JblockImages.REGISTRY.create(cached, format, SIZE, "");
        Files.copy(cached, direct);
        try (BlockImage image = JblockImages.REGISTRY.open(cached, spec(format, CacheMode.WRITEBACK))) {
            writeAll(image, 5);
        }
        try (BlockImage image = JblockImages.REGISTRY.open(direct, spec(format, CacheMode.NONE))) {
            writeAll(image, 5);
        }
        assertArrayEquals(Files.readAllBytes(cached), Files.readAllBytes(direct),
                "the file written with O_DIRECT differs from the one written through the page cache");
        RealTools.require(Tool.QEMU_IMG);
        RealTools.run(Tool.QEMU_IMG, "compare", "-f", format, "-F", format, cached.toString(), direct.toString())
                .assertSucceeded();
        RealTools.Result check = RealTools.run(Tool.QEMU_IMG, "check", "-f", format, direct.toString());
        assertTrue(check.exitCode() == 0 || format.equals("vpc") && check.exitCode() == 63, check.describe());
    }
}
