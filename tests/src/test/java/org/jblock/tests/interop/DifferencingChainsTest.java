package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differencing VHDs against libvhdi (pyvhdi with {@code set_parent}, as a process): chains jblock
 * makes and writes, chains an independent writer makes (each way of naming the parent), and the
 * real samples. libvhdi 20210425 misreads a bitmap byte whose set bits do not end at its least
 * significant bit (every sector after the first set bit is taken from the child), so comparisons
 * with it use whole bitmap bytes (runs of 8 sectors), and partial bytes are tested against the
 * specification instead.
 */
class DifferencingChainsTest {
    private static final long MIB = 1 << 20;
    private static final int SECTOR = 512;

    /** Opens each image given (top first), sets each one's parent, prints the top's size and SHA-256. */
    private static final String CHAIN_DIGEST = String.join("\n",
            "import hashlib, sys, pyvhdi",
            "images = []",
            "for name in sys.argv[1:]:",
            "    f = pyvhdi.file()",
            "    f.open(name)",
            "    images.append(f)",
            "for child, parent in reversed(list(zip(images, images[1:]))):",
            "    child.set_parent(parent)",
            "top = images[0]",
            "size = top.get_media_size()",
            "digest = hashlib.sha256()",
            "offset = 0",
            "while offset < size:",
            "    n = min(size - offset, 1 << 20)",
            "    digest.update(top.read_buffer_at_offset(n, offset))",
            "    offset += n",
            "print(size)",
            "print(digest.hexdigest())");

    @TempDir
    Path dir;

    @BeforeEach
    void requireLibvhdi() {
        RealTools.require(Tool.PYVHDI);
    }

    private static String pyvhdiDigest(Path... chain) throws IOException {
        List<String> args = new ArrayList<>(List.of("-c", CHAIN_DIGEST));
        for (Path p : chain) {
            args.add(p.toString());
        }
        Result result = RealTools.run(Tool.PYVHDI, args.toArray(String[]::new)).assertSucceeded();
        List<String> lines = result.stdout().lines().toList();
        return lines.get(0).trim() + " " + lines.get(1).trim();
    }

    private static String jblockDigest(Path top, String options) throws IOException {
        try (BlockImage image = JblockImages.REGISTRY.open(top, new OpenSpec(null, true, false, options))) {
            MessageDigest digest = sha256();
            ByteBuffer buffer = ByteBuffer.allocate((int) MIB);
            for (long at = 0; at < image.size(); at += MIB) {
                buffer.clear().limit((int) Math.min(MIB, image.size() - at));
                image.read(at, buffer);
                digest.update(buffer.flip());
            }
            return image.size() + " " + HexFormat.of().formatHex(digest.digest());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    private static byte[] read(BlockImage image, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        image.read(offset, buffer);
        return buffer.array();
    }

    private Path createChild(String child, String parent) throws IOException {
        Path path = dir.resolve(child);
        JblockImages.REGISTRY.create(path, "vpc", -1, "", parent, null);
        return path;
    }

    @Test
    void aChainJblockMakesAndWritesReadsIdenticallyInPyvhdi() throws IOException {
        Path top = threeLayerChain();
        Path mid = dir.resolve("mid.vhd");
        Path base = dir.resolve("base.vhd");
        assertEquals(pyvhdiDigest(top, mid, base), jblockDigest(top, ""));
        assertEquals(pyvhdiDigest(mid, base), jblockDigest(mid, ""));
    }

    @Test
    void aCommitKeepsWhatPyvhdiReadsAndMovesItIntoTheParent() throws IOException {
        Path top = threeLayerChain();
        Path mid = dir.resolve("mid.vhd");
        Path base = dir.resolve("base.vhd");
        String before = pyvhdiDigest(top, mid, base);
        try (BlockImage image = JblockImages.REGISTRY.open(top, OpenSpec.readWrite(),
                org.jblock.registry.ChainMode.WRITABLE_BACKING)) {
            org.jblock.ops.Commit.commit(image, image.backing().orElseThrow(), true, 2,
                    org.jblock.api.ProgressListener.NONE);
        }
        assertEquals(before, pyvhdiDigest(mid, base), "the parent now reads as the top did");
        assertEquals(before, pyvhdiDigest(top, mid, base), "the emptied top still reads the same");
    }

    @Test
    void aSafeRebaseKeepsWhatPyvhdiReadsOverTheNewParent() throws IOException {
        Path top = threeLayerChain();
        Path mid = dir.resolve("mid.vhd");
        Path base = dir.resolve("base.vhd");
        String before = pyvhdiDigest(top, mid, base);
        try (BlockImage image = JblockImages.REGISTRY.open(top, OpenSpec.readWrite())) {
            org.jblock.ops.Rebase.rebase(image, JblockImages.REGISTRY.openBacking(top, "base.vhd", null), true,
                    org.jblock.api.ProgressListener.NONE);
        }
        assertEquals(before, pyvhdiDigest(top, base), "top over base reads as top over mid over base did");
        assertEquals(before, jblockDigest(top, ""));
    }

    /** base (6 MiB) ← mid ← top, each written by jblock, zeros over parent data included; returns top. */
    private Path threeLayerChain() throws IOException {
        Path base = dir.resolve("base.vhd");
        JblockImages.REGISTRY.create(base, "vpc", 6 * MIB, "");
        try (BlockImage image = JblockImages.REGISTRY.open(base, OpenSpec.readWrite())) {
            image.write(0, filled((int) (3 * MIB), 0x11));
            image.write(5 * MIB, filled(64 << 10, 0x12));
        }
        Path mid = createChild("mid.vhd", "base.vhd");
        try (BlockImage image = JblockImages.REGISTRY.open(mid, OpenSpec.readWrite())) {
            image.write(MIB, filled((int) MIB, 0x22));
            image.write(4096, filled(8192, 0));                  // zeros over the parent's data are kept
            image.writeZeroes(2 * MIB + 4096, 64 << 10, true);    // so is write-zeroes over it
        }
        Path top = createChild("top.vhd", "mid.vhd");
        try (BlockImage image = JblockImages.REGISTRY.open(top, OpenSpec.readWrite())) {
            image.write(MIB + 4096, filled(4096, 0x33));
            image.write(4 * MIB, filled(4096 * 3, 0x34));       // a block the parents lack
            assertArrayEquals(new byte[8192], read(image, 4096, 8192));
            assertArrayEquals(filled(4096, 0x11).array(), read(image, 0, 4096));
            assertArrayEquals(new byte[64 << 10], read(image, 2 * MIB + 4096, 64 << 10));
            assertArrayEquals(filled(4096, 0x11).array(), read(image, 2 * MIB, 4096));
        }
        return top;
    }

    @Test
    void partialBitmapBytesFollowTheSpecification() throws IOException {
        Path base = dir.resolve("base.vhd");
        JblockImages.REGISTRY.create(base, "vpc", 4 * MIB, "");
        try (BlockImage image = JblockImages.REGISTRY.open(base, OpenSpec.readWrite())) {
            image.write(0, filled((int) (4 * MIB), 0x55));
        }
        Path child = createChild("child.vhd", "base.vhd");
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readWrite())) {
            image.write(SECTOR, filled(SECTOR, 0xC1));          // bitmap byte 0x40: sector 1 only
            image.write(7 * SECTOR + 100, filled(10, 0xC7));    // inside sector 7: the rest from the parent
        }
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec())) {
            byte[] sectors = read(image, 0, 8 * SECTOR);
            for (int s = 0; s < 8; s++) {
                for (int i = 0; i < SECTOR; i++) {
                    int expected = s == 1 ? 0xC1 : s == 7 && i >= 100 && i < 110 ? 0xC7 : 0x55;
                    assertEquals((byte) expected, sectors[s * SECTOR + i], "sector " + s + " byte " + i);
                }
            }
            assertEquals(0, image.blockStatus(SECTOR, SECTOR).get(0).depth(), "sector 1 is the child's");
            assertEquals(1, image.blockStatus(2 * SECTOR, SECTOR).get(0).depth(), "sector 2 is the parent's");
        }
    }

    @Test
    void checkRecognisesAChildThatQemuWroteInto() throws IOException {
        Path base = dir.resolve("base.vhd");
        JblockImages.REGISTRY.create(base, "vpc", 4 * MIB, "force_size=on");
        try (BlockImage image = JblockImages.REGISTRY.open(base, OpenSpec.readWrite())) {
            image.write(0, filled((int) (4 * MIB), 0x66));
        }
        Path child = createChild("child.vhd", "base.vhd");
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readWrite())) {
            image.write(0, filled(4096, 0x77));
            assertTrue(warnings(image.check(org.jblock.api.CheckMode.REPORT)).isEmpty(), "a sound chain");
        }
        RealTools.require(Tool.QEMU_IO);
        Qemu.io(child, "vpc", List.of("write -P 0x88 8192 512"));
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec())) {
            List<String> warnings = warnings(image.check(org.jblock.api.CheckMode.REPORT));
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("block 0: its bitmap is all ones") && warnings.get(0).contains(
                    "(the first at offset 4096)"), warnings.get(0));
            // The damage itself: sectors qemu-io did not write now read as zeros, not as the parent.
            assertArrayEquals(new byte[SECTOR], read(image, 4096, SECTOR));
        }
    }

    private static List<String> warnings(org.jblock.api.CheckReport report) {
        return report.findings().stream().filter(f -> f.severity() == org.jblock.api.CheckReport.Severity.WARNING)
                .map(org.jblock.api.CheckReport.Finding::message).toList();
    }

    // ---- parents recorded by another writer -------------------------------------------------------

    private byte[] footerOf(Path image) throws IOException {
        byte[] bytes = Files.readAllBytes(image);
        return Arrays.copyOfRange(bytes, bytes.length - 512, bytes.length);
    }

    /** A 4 MiB parent full of 0x66, and a hand-made child whose block 0 holds 0x99 in its first 64 sectors. */
    private Map<Integer, byte[][]> parentAndBlocks(Path parent) throws IOException {
        JblockImages.REGISTRY.create(parent, "vpc", 4 * MIB, "force_size=on");
        try (BlockImage image = JblockImages.REGISTRY.open(parent, OpenSpec.readWrite())) {
            image.write(0, filled((int) (4 * MIB), 0x66));
        }
        byte[] bitmap = new byte[512];
        Arrays.fill(bitmap, 0, 8, (byte) 0xFF);
        byte[] data = new byte[2 << 20];
        Arrays.fill(data, 0, 64 * SECTOR, (byte) 0x99);
        return Map.of(0, new byte[][] {bitmap, data});
    }

    private void assertReadsLikePyvhdi(Path child, Path parent) throws IOException {
        String jblock = jblockDigest(child, "");
        assertEquals(pyvhdiDigest(child, parent), jblock);
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec())) {
            assertArrayEquals(filled(SECTOR, 0x99).array(), read(image, 0, SECTOR));
            assertArrayEquals(filled(SECTOR, 0x66).array(), read(image, 64 * SECTOR, SECTOR));
        }
    }

    @Test
    void aParentNamedByAW2ruLocatorIsFoundNextToTheChild() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        Path child = dir.resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, footerOf(parent), "",
                List.of(HandMadeChild.Locator.windows(HandMadeChild.W2RU, ".\\parent.vhd")), blocks);
        assertReadsLikePyvhdi(child, parent);
    }

    @Test
    void aParentNamedByAW2kuLocatorIsFoundAfterTheChildMoved() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        Path elsewhere = Files.createDirectory(dir.resolve("moved"));
        Path child = elsewhere.resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, footerOf(parent), "",
                List.of(HandMadeChild.Locator.windows(HandMadeChild.W2KU,
                        "C:" + parent.toAbsolutePath().toString().replace('/', '\\'))), blocks);
        assertReadsLikePyvhdi(child, parent);
    }

    @Test
    void aParentNamedByAMacxLocatorIsFound() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        Path child = Files.createDirectory(dir.resolve("mac")).resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, footerOf(parent), "",
                List.of(HandMadeChild.Locator.macx("file://localhost" + parent.toAbsolutePath().toUri().getRawPath())),
                blocks);
        assertReadsLikePyvhdi(child, parent);
    }

    @Test
    void aParentNamedOnlyInTheHeaderIsFoundNextToTheChild() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        Path child = dir.resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, footerOf(parent), "D:\\VMs\\parent.vhd", List.of(), blocks);
        assertReadsLikePyvhdi(child, parent);
    }

    @Test
    void aParentWithAnotherUuidIsRefusedNamingBothUnlessTheMismatchIsAccepted() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        byte[] otherFooter = footerOf(parent).clone();
        otherFooter[70] ^= 1;
        Path child = dir.resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, otherFooter, "", List.of(
                HandMadeChild.Locator.windows(HandMadeChild.W2RU, ".\\parent.vhd")), blocks);
        BlockException e = assertThrows(BlockException.class,
                () -> JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec()).close());
        assertTrue(e.getMessage().contains("UUID") && e.getMessage().contains("ignore_id_mismatch"), e.getMessage());
        try (BlockImage image = JblockImages.REGISTRY.open(child,
                new OpenSpec(null, true, false, "ignore_id_mismatch=on"))) {
            assertArrayEquals(filled(SECTOR, 0x66).array(), read(image, 64 * SECTOR, SECTOR));
            assertTrue(image.check(org.jblock.api.CheckMode.REPORT).findings().stream().anyMatch(f -> f.severity()
                    == org.jblock.api.CheckReport.Severity.CORRUPTION && f.message().contains("UUID")),
                    "check names the mismatch");
        }
    }

    @Test
    void aParentWhoseTimestampDiffersOpensWithAWarning() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        Map<Integer, byte[][]> blocks = parentAndBlocks(parent);
        byte[] olderFooter = footerOf(parent).clone();
        olderFooter[27] ^= 1; // the timestamp's last byte: the child remembers another parent time
        Path child = dir.resolve("child.vhd");
        HandMadeChild.write(child, 4 * MIB, olderFooter, "", List.of(
                HandMadeChild.Locator.windows(HandMadeChild.W2RU, ".\\parent.vhd")), blocks);
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("org.jblock.driver.vpc");
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec())) {
            assertArrayEquals(filled(SECTOR, 0x66).array(), read(image, 64 * SECTOR, SECTOR));
        } finally {
            log.removeHandler(handler);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("parent timestamp") && warnings.get(0).contains("differs"),
                warnings.get(0));
    }

    // ---- the real samples -------------------------------------------------------------------------

    private Path sample(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(
                SampleImagesTest.sampleFolder().resolve(name + ".bz2")))) {
            Files.copy(in, target);
        }
        return target;
    }

    @Test
    void fatDifferentialIsRefusedNamingItsParentAndReadsOverAStandInParent() throws IOException {
        Path child = sample("fat-differential.vhd");
        BlockException missing = assertThrows(BlockException.class,
                () -> JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec()).close());
        assertTrue(missing.getMessage().contains("fat-parent.vhd") && missing.getMessage().contains("tried "
                + dir.resolve("fat-parent.vhd") + " (W2ru locator)"), missing.getMessage());

        // A stand-in parent with the UUID the child records, every sector numbered.
        Path parent = dir.resolve("fat-parent.vhd");
        JblockImages.REGISTRY.create(parent, "vpc", 4 * MIB, "force_size=on");
        try (BlockImage image = JblockImages.REGISTRY.open(parent, OpenSpec.readWrite())) {
            ByteBuffer numbered = ByteBuffer.allocate((int) (4 * MIB));
            for (int s = 0; s < 4 * MIB / SECTOR; s++) {
                numbered.putInt(s * SECTOR, s + 1);
            }
            image.write(0, numbered);
        }
        byte[] parentBytes = Files.readAllBytes(parent);
        byte[] uuid = HexFormat.of().parseHex("5fa21a55f394aa4d99581951a67d5540");
        for (int at : new int[] {0, parentBytes.length - 512}) {
            System.arraycopy(uuid, 0, parentBytes, at + 68, 16);
            ByteBuffer.wrap(parentBytes).putInt(at + 64, 0);
            int sum = 0;
            for (int i = at; i < at + 512; i++) {
                sum += parentBytes[i] & 0xFF;
            }
            ByteBuffer.wrap(parentBytes).putInt(at + 64, ~sum);
        }
        Files.write(parent, parentBytes);

        // Sectors 128-135 and 184-199 lie in bitmap bytes libvhdi misreads: compared with the specification.
        byte[] childBytes = Files.readAllBytes(child);
        int blockData = 81408 + 512;
        byte[] bitmap = Arrays.copyOfRange(childBytes, 81408, 81408 + 512);
        Path jblockRaw = dir.resolve("jblock.raw");
        try (BlockImage image = JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec())) {
            byte[] all = read(image, 0, (int) image.size());
            Files.write(jblockRaw, all);
            for (int s : new int[] {128, 133, 134, 135, 143, 184, 185, 186, 187, 188, 189, 196, 197, 199}) {
                boolean inChild = (bitmap[s / 8] & (0x80 >>> (s % 8))) != 0;
                byte[] expected = new byte[SECTOR];
                if (inChild) {
                    expected = Arrays.copyOfRange(childBytes, blockData + s * SECTOR, blockData + (s + 1) * SECTOR);
                } else {
                    ByteBuffer.wrap(expected).putInt(0, s + 1);
                }
                assertArrayEquals(expected, Arrays.copyOfRange(all, s * SECTOR, (s + 1) * SECTOR), "sector " + s);
            }
        }
        List<Range> whole = List.of(new Range(0, 128 * SECTOR), new Range(136 * SECTOR, 48 * SECTOR),
                new Range(200 * SECTOR, 4 * MIB - 200 * SECTOR));
        String script = String.join("\n",
                "import hashlib, sys, pyvhdi",
                "p = pyvhdi.file(); p.open(sys.argv[2])",
                "c = pyvhdi.file(); c.open(sys.argv[1]); c.set_parent(p)",
                "for spec in sys.argv[3:]:",
                "    offset, length = (int(x) for x in spec.split(':'))",
                "    print(hashlib.sha256(c.read_buffer_at_offset(length, offset)).hexdigest())");
        List<String> args = new ArrayList<>(List.of("-c", script, child.toString(), parent.toString()));
        whole.forEach(r -> args.add(r.start() + ":" + r.length()));
        List<String> pyvhdi = RealTools.run(Tool.PYVHDI, args.toArray(String[]::new)).assertSucceeded()
                .stdout().lines().map(String::trim).toList();
        byte[] all = Files.readAllBytes(jblockRaw);
        for (int i = 0; i < whole.size(); i++) {
            Range r = whole.get(i);
            byte[] part = Arrays.copyOfRange(all, (int) r.start(), (int) (r.start() + r.length()));
            assertEquals(pyvhdi.get(i), HexFormat.of().formatHex(sha256().digest(part)), "range " + r);
        }
    }

    @Test
    void imageDifferentialReadsAsLibvhdiReadsItWhenItsChecksumsAreForgiven() throws IOException {
        Path parent = sample("image.vhd");
        Path child = sample("image-differential.vhd");
        assertThrows(CorruptImageException.class,
                () -> JblockImages.REGISTRY.open(child, OpenSpec.readOnlySpec()).close());
        // ignore_checksums=on is passed down the chain, so the parent's bad checksum is forgiven too.
        String jblock = jblockDigest(child, "ignore_checksums=on");
        assertEquals(pyvhdiDigest(child, parent), jblock);
        assertEquals("104448 c6db12a7db548e193c29420c1b4533e4708b20c5033db5cc29ef075d48316d25", jblock);
    }
}
