package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * qcow2 between jblock and QEMU: images qemu-img makes and qemu-io writes read the same in jblock
 * (and pass jblock's check); images jblock makes and writes pass {@code qemu-img check}, compare
 * equal in {@code qemu-img compare} and read back in qemu-io; a qcow2 overlay over a VHD (the
 * setup of QEMU's iotests 197 and 215) works both ways.
 */
class Qcow2InteropTest {
    private static final long SIZE = 64L << 20;
    private static final List<String> WRITES = List.of("write -P 0x11 0 100k", "write -P 0x22 1000k 3M",
            "write -z 8M 1M", "write -P 0x33 63M 1M", "write -P 0x44 20000k 12k", "write -z -u 1M 64k");

    @TempDir
    Path dir;

    @BeforeEach
    void requireQemu() {
        Qemu.require();
    }

    private static OpenSpec qcow2(boolean readOnly) {
        return new OpenSpec("qcow2", readOnly, false, "");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compat=1.1", "compat=0.10", "cluster_size=4k", "cluster_size=2M,compat=1.1"})
    void imagesQemuWritesReadTheSameInJblock(String options) throws IOException {
        Path image = dir.resolve("qemu.qcow2");
        Qemu.create(image, "qcow2", options, SIZE);
        Qemu.io(image, "qcow2", WRITES);
        Path raw = dir.resolve("qemu.raw");
        Qemu.convertToRaw(image, "qcow2", raw);
        try (BlockImage jblock = JblockImages.REGISTRY.open(image, OpenSpec.readOnlySpec())) {
            assertEquals("qcow2", jblock.info().format(), "probed format");
            assertEquals(SIZE, jblock.size());
            assertArrayEquals(Files.readAllBytes(raw), read(jblock, 0, (int) SIZE));
            assertTrue(jblock.check(CheckMode.REPORT).isClean(), "jblock's check of QEMU's image");
        }
    }

    @Test
    void compressedImagesQemuMakesReadTheSame() throws IOException {
        Path source = dir.resolve("source.raw");
        byte[] content = new byte[(int) (4L << 20)];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) ((i / 4096) % 7 == 0 ? i * 31 : i / 1000);
        }
        Files.write(source, content);
        Path image = dir.resolve("compressed.qcow2");
        RealTools.run(Tool.QEMU_IMG, "convert", "-c", "-f", "raw", "-O", "qcow2", source.toString(),
                image.toString()).assertSucceeded();
        try (BlockImage jblock = JblockImages.REGISTRY.open(image, OpenSpec.readOnlySpec())) {
            assertArrayEquals(content, read(jblock, 0, content.length));
            assertTrue(jblock.check(CheckMode.REPORT).isClean());
        }
        // A write into a compressed cluster rewrites it uncompressed; QEMU still reads it all.
        try (BlockImage jblock = JblockImages.REGISTRY.open(image, qcow2(false))) {
            byte[] patch = pattern(70_000, 3);
            jblock.write(100_000, ByteBuffer.wrap(patch));
            System.arraycopy(patch, 0, content, 100_000, patch.length);
        }
        Files.write(source, content);
        qemuCheck(image);
        assertEquals(0, Qemu.compare(source, image, "qcow2").exitCode());
    }

    @ParameterizedTest(name = "[{index}] options \"{0}\"")
    @ValueSource(strings = {"", "compat=0.10", "cluster_size=512", "cluster_size=4k,refcount_bits=8"})
    void imagesJblockWritesPassQemuCheckAndCompare(String options) throws IOException {
        Path image = dir.resolve("jblock.qcow2");
        JblockImages.REGISTRY.create(image, "qcow2", SIZE, options);
        byte[] expected = new byte[(int) SIZE];
        try (BlockImage jblock = JblockImages.REGISTRY.open(image, qcow2(false))) {
            Random random = new Random(7);
            for (int i = 0; i < 40; i++) {
                int length = 1 + random.nextInt(300_000);
                int at = random.nextInt((int) SIZE - length);
                byte[] data = pattern(length, i);
                jblock.write(at, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, expected, at, length);
            }
            jblock.writeZeroes(5L << 20, 2L << 20, true);
            java.util.Arrays.fill(expected, 5 << 20, 7 << 20, (byte) 0);
            jblock.writeZeroes(30L << 20, 1L << 20, false);
            java.util.Arrays.fill(expected, 30 << 20, 31 << 20, (byte) 0);
        }
        qemuCheck(image);
        Path raw = dir.resolve("expected.raw");
        Files.write(raw, expected);
        Result compare = Qemu.compare(raw, image, "qcow2");
        assertEquals(0, compare.exitCode(), compare.describe());
        Result read = RealTools.run(Tool.QEMU_IO, "-f", "qcow2", "-c", "read -P 0 5M 2M", image.toString())
                .assertSucceeded();
        assertTrue(!read.stdout().contains("failed"), read.describe());
    }

    @Test
    void aQcow2OverlayOverAVhdAsInQemusTests197And215() throws IOException {
        Path base = dir.resolve("t.vpc");
        Qemu.create(base, "vpc", "force_size=on", 4L << 30);
        Qemu.io(base, "vpc", List.of("write -P 55 3G 1k"));
        Path wrap = dir.resolve("t.wrap.qcow2");
        JblockImages.REGISTRY.create(wrap, "qcow2", 4L << 30, "", base.toString(), "vpc");
        Result info = RealTools.run(Tool.QEMU_IMG, "info", wrap.toString()).assertSucceeded();
        assertTrue(info.stdout().contains("backing file: " + base) && info.stdout().contains("backing file format: vpc"),
                info.describe());
        try (BlockImage jblock = JblockImages.REGISTRY.open(wrap, qcow2(false))) {
            jblock.writeZeroes(1L << 20, 65536, true);
            byte[] fromBase = read(jblock, 3L << 30, 1024);
            byte[] expected = new byte[1024];
            java.util.Arrays.fill(expected, (byte) 55);
            assertArrayEquals(expected, fromBase, "the base's data through the overlay");
            jblock.write((3L << 30) + 1024, ByteBuffer.wrap(new byte[1024]));   // the rest of the cluster copied up
        }
        qemuCheck(wrap);
        Result read = RealTools.run(Tool.QEMU_IO, "-f", "qcow2", "-c", "read -P 55 3G 1k", "-c",
                "read -P 0 1M 64k", "-c", "map", wrap.toString()).assertSucceeded();
        assertTrue(!read.stdout().contains("failed"), read.describe());
        assertTrue(read.stdout().contains("64 KiB (0x10000) bytes     allocated at offset 1 MiB (0x100000)"),
                read.describe());
        // QEMU's unsafe rebase over jblock's image, then jblock reads what qemu-io left.
        RealTools.run(Tool.QEMU_IMG, "rebase", "-u", "-b", "", "-f", "qcow2", wrap.toString()).assertSucceeded();
        try (BlockImage jblock = JblockImages.REGISTRY.open(wrap, qcow2(true))) {
            assertTrue(jblock.info().backing().isEmpty());
            byte[] expected = new byte[1024];
            java.util.Arrays.fill(expected, (byte) 55);
            assertArrayEquals(expected, read(jblock, 3L << 30, 1024), "the copied-up cluster");
        }
    }

    /** Every field of qemu-img's map (present, zero, data, offset, depth) for an overlay QEMU made. */
    @Test
    void blockStatusIsWhatQemuImgMapSays() throws IOException {
        Path base = dir.resolve("b.vhd");
        Qemu.create(base, "vpc", "force_size=on", 8L << 20);
        Path top = dir.resolve("m.qcow2");
        RealTools.run(Tool.QEMU_IMG, "create", "-q", "-f", "qcow2", "-F", "vpc", "-b", base.toString(),
                top.toString()).assertSucceeded();
        Qemu.io(top, "qcow2", List.of("write -P 1 0 200k", "write -z 64k 64k", "write -z -u 1M 64k",
                "write -P 2 2M 4k", "discard 2M 64k"));
        Qemu.io(base, "vpc", List.of("write -P 7 3M 1M"));
        String qemu = RealTools.run(Tool.QEMU_IMG, "map", "--output=json", "-f", "qcow2", top.toString())
                .assertSucceeded().stdout();
        StringBuilder jblock = new StringBuilder();
        try (BlockImage image = JblockImages.REGISTRY.open(top, qcow2(true))) {
            for (var e : image.blockStatus(0, image.size())) {
                jblock.append(jblock.length() == 0 ? "[" : ",\n").append(String.format(
                        "{ \"start\": %d, \"length\": %d, \"depth\": %d, \"present\": %b, \"zero\": %b, \"data\": %b%s}",
                        e.start(), e.length(), e.depth(), e.allocated() || e.data(), e.zero(), e.data(),
                        e.hostOffset().isPresent() ? ", \"offset\": " + e.hostOffset().getAsLong() : ""));
            }
        }
        assertEquals(qemu.strip(), jblock.append("]").toString());
    }

    /**
     * {@code check} of a damaged image prints what qemu-img prints (qemu-img writes the finding lines
     * on standard error, jblock-img on standard output), with its exit code, and a repair jblock-img
     * makes satisfies qemu-img. The damage: a refcount of 2 for the header (a leak), and one for a data
     * cluster whose L2 entry says COPIED (a leak and a corruption).
     */
    @ParameterizedTest(name = "refcount of {0} set to 2")
    @ValueSource(strings = {"header", "data cluster"})
    void checkFindsWhatQemuImgFindsAndRepairsItsWay(String which) throws IOException {
        Path image = dir.resolve("damaged.qcow2");
        Qemu.create(image, "qcow2", "", SIZE);
        Qemu.io(image, "qcow2", List.of("write -P 0x21 0 64k"));
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long refcountBlock = longAt(file, longAt(file, 48));
            long cluster = which.equals("header") ? 0 : (longAt(file, longAt(file, longAt(file, 40)) & L2_OFFSET)
                    & L2_OFFSET) >>> 16;
            file.write(ByteBuffer.allocate(2).putShort(0, (short) 2), refcountBlock + 2 * cluster);
        }
        Result qemu = RealTools.run(Tool.QEMU_IMG, "check", "-f", "qcow2", image.toString());
        Result jblock = JblockImages.img("check", "-f", "qcow2", image.toString());
        assertEquals(qemu.stderr() + qemu.stdout(), jblock.stdout() + jblock.stderr(), qemu.describe() + "\n" + jblock.describe());
        assertEquals(qemu.exitCode(), jblock.exitCode());
        assertEquals(0, JblockImages.img("check", "-r", "all", "-f", "qcow2", image.toString()).exitCode());
        qemuCheck(image);
        Result read = RealTools.run(Tool.QEMU_IO, "-f", "qcow2", "-c", "read -P 0x21 0 64k", image.toString())
                .assertSucceeded();
        assertTrue(!read.stdout().contains("failed"), read.describe());
    }

    private static final long L2_OFFSET = 0x00fffffffffffe00L;

    private static long longAt(FileChannel file, long offset) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8);
        file.read(bytes, offset);
        return bytes.getLong(0);
    }

    private static void qemuCheck(Path image) throws IOException {
        Result check = RealTools.run(Tool.QEMU_IMG, "check", "-f", "qcow2", image.toString());
        assertEquals(0, check.exitCode(), check.describe());
        assertTrue(check.stdout().contains("No errors were found on the image."), check.describe());
    }

    private static byte[] read(BlockImage image, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        image.read(offset, buffer);
        return buffer.array();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
