package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The raw format between jblock and QEMU, both ways: the baseline the VHD suites build on (a raw
 * disk's bytes are the file's bytes, so any difference here is in the comparison, not a format).
 * Sizes are whole sectors: QEMU rounds a raw file's size up to one.
 */
class RawImagesTest {
    private static final OpenSpec RAW = new OpenSpec("raw", false, false, "");

    @TempDir
    Path dir;

    @BeforeEach
    void requireQemu() {
        Qemu.require();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {1 << 20, 10_485_760 + 3 * 512, 4L << 30})
    void jblockReadsWhatQemuIoWrote(long size) throws IOException {
        Path image = dir.resolve("qemu.raw");
        Qemu.create(image, "raw", "", size);
        WritePlan plan = WritePlan.forDisk(size, VhdCase.DEFAULT_BLOCK_SIZE, false);
        Qemu.io(image, "raw", plan.qemuIoCommands());
        Path model = dir.resolve("expected.raw");
        plan.writeRawModel(model, size);

        try (FileChannel expected = Content.openRaw(model);
             BlockImage opened = JblockImages.REGISTRY.open(image, RAW.withReadOnly(true))) {
            assertEquals(size, opened.size());
            Content.assertSame("jblock raw vs qemu-io", Content.ofRaw(expected), Content.of(opened),
                    Content.toCompare(size, plan.ranges()));
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {1 << 20, 10_485_760 + 3 * 512, 4L << 30})
    void qemuImgReadsWhatJblockWrote(long size) throws IOException {
        Path image = dir.resolve("jblock.raw");
        JblockImages.REGISTRY.create(image, "raw", size, "");
        WritePlan plan = WritePlan.forDisk(size, VhdCase.DEFAULT_BLOCK_SIZE, true);
        try (BlockImage opened = JblockImages.REGISTRY.open(image, RAW)) {
            plan.applyTo(opened);
        }
        Path model = dir.resolve("expected.raw");
        plan.writeRawModel(model, size);

        assertEquals(size, Qemu.info(image, "raw").virtualSize(), "qemu-img info virtual size");
        Result compare = Qemu.compare(model, image, "raw");
        assertEquals(0, compare.exitCode(), compare::describe);
        assertTrue(compare.stdout().contains("Images are identical."), compare::describe);
    }

    /**
     * QEMU's raw {@code offset} and {@code size}: the window of the file that jblock opens reads,
     * maps and takes writes as the window qemu-img and qemu-io open with the same option string.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"offset=1M,size=4M", "offset=3M", "offset=0x1200,size=1M"})
    void aWindowOfTheFileIsWhatQemuSeesThroughTheSameOptions(String window) throws IOException {
        Path image = dir.resolve("disk.raw");
        Qemu.create(image, "raw", "", 8 << 20);
        Qemu.io(image, "raw", List.of("write -P 0x11 512k 1M", "write -P 0x22 2M 64k", "write -P 0x33 5M 1M"));
        String options = "driver=raw," + window + ",file.driver=file,file.filename=" + image;
        Path qemuCopy = dir.resolve("qemu-copy.raw");
        RealTools.run(Tool.QEMU_IMG, "convert", "--image-opts", options, "-O", "raw", qemuCopy.toString())
                .assertSucceeded();
        List<Qemu.MapEntry> theirMap = Qemu.mapImageOpts(options);

        OpenSpec spec = new OpenSpec(null, false, false, "");
        try (BlockImage opened = JblockImages.REGISTRY.open(ImageOpts.parse(options).options(), spec)) {
            byte[] expected = Files.readAllBytes(qemuCopy);
            assertEquals(expected.length, opened.size());
            ByteBuffer ours = ByteBuffer.allocate(expected.length);
            opened.read(0, ours);
            assertArrayEquals(expected, ours.array());
            List<Qemu.MapEntry> ourMap = new ArrayList<>();
            for (Extent e : opened.blockStatus(0, opened.size())) {
                ourMap.add(new Qemu.MapEntry(e.start(), e.length(), e.data(), e.hostOffset()));
            }
            if (knowsHoles(image)) {
                assertEquals(theirMap, ourMap);
            } else {
                // JDK 17: local files tell no holes, so the whole window is data, mapped at the offset.
                assertEquals(List.of(new Qemu.MapEntry(0, opened.size(), true, theirMap.get(0).offset())), ourMap);
            }
            // A write at the window's start lands at the offset in the file.
            byte[] pattern = new byte[4096];
            Arrays.fill(pattern, (byte) 0x44);
            opened.write(0, ByteBuffer.wrap(pattern));
        }
        Result read = RealTools.run(Tool.QEMU_IO, "-c", "read -P 0x44 0 4k", "--image-opts", options).assertSucceeded();
        assertFalse(read.stdout().contains("Pattern verification failed"), read::describe);
    }

    /**
     * QEMU's {@code discard} and {@code detect-zeroes} node options: the same requests through jblock
     * and through qemu-io, each on a copy of one raw image full of data opened with the same option
     * string, leave the same bytes and, where this JDK tells holes, the same map. (jblock's default,
     * as qemu-io's, is {@code discard=unmap}.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"discard=ignore", "detect-zeroes=off", "discard=off,detect-zeroes=on",
        "discard=on,detect-zeroes=unmap"})
    void discardAndDetectZeroesAreQemusNodeOptions(String node) throws IOException {
        byte[] data = new byte[4 << 20];
        new java.util.Random(7).nextBytes(data);
        Path ours = dir.resolve("ours.raw");
        Path theirs = dir.resolve("theirs.raw");
        Files.write(ours, data);
        Files.write(theirs, data);
        RealTools.run(Tool.QEMU_IO, "-c", "discard 0 1M", "-c", "write -z -u 1M 1M", "-c", "write -P 0 3M 1M",
                "--image-opts", "driver=raw," + node + ",file.driver=file,file.filename=" + theirs).assertSucceeded();
        String options = "driver=raw," + node + ",file.driver=file,file.filename=" + ours;
        try (BlockImage opened = JblockImages.REGISTRY.open(ImageOpts.parse(options).options(),
                new OpenSpec(null, false, false, ""))) {
            opened.discard(0, 1 << 20);
            opened.writeZeroes(1 << 20, 1 << 20, true);
            opened.write(3 << 20, ByteBuffer.allocate(1 << 20));
        }
        byte[] expected = Files.readAllBytes(theirs);
        boolean holes = knowsHoles(ours);
        if (!holes && !node.contains("discard=ignore") && !node.contains("discard=off")) {
            // JDK 17 punches no holes: the discarded MiB keeps its data, which is all a discard promises.
            System.arraycopy(data, 0, expected, 0, 1 << 20);
        }
        assertArrayEquals(expected, Files.readAllBytes(ours));
        if (holes) {
            // Where the discard and the detected zeros went: freed or kept. (The zero write between
            // them keeps its storage in both, but QEMU makes it on tmpfs by punching and allocating
            // again, which tmpfs then reports as a hole: not compared.)
            List<Qemu.MapEntry> theirMap = Qemu.map(theirs, "raw");
            List<Qemu.MapEntry> ourMap = Qemu.map(ours, "raw");
            for (long start : new long[] {0, 3 << 20}) {
                assertEquals(isHole(theirMap, start, 1 << 20), isHole(ourMap, start, 1 << 20),
                        "whether the MiB at " + start + " is a hole: " + theirMap + " against " + ourMap);
            }
        }
    }

    private static boolean isHole(List<Qemu.MapEntry> map, long start, long length) {
        return map.stream().filter(e -> e.start() < start + length && e.start() + e.length() > start)
                .noneMatch(Qemu.MapEntry::data);
    }

    /** Wrong values of those options are refused in qemu-io's words. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"discard=foo", "detect-zeroes=bar", "discard=ignore,detect-zeroes=unmap"})
    void wrongDiscardAndDetectZeroesValuesAreQemusErrors(String node) throws IOException {
        Path image = dir.resolve("disk.raw");
        Files.write(image, new byte[65536]);
        String options = "driver=raw," + node + ",file.driver=file,file.filename=" + image;
        Result theirs = RealTools.run(Tool.QEMU_IO, "-c", "read 0 512", "--image-opts", options);
        assertEquals(1, theirs.exitCode(), theirs::describe);
        org.jblock.api.InvalidOptionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                org.jblock.api.InvalidOptionException.class, () -> JblockImages.REGISTRY.open(
                        ImageOpts.parse(options).options(), new OpenSpec(null, false, false, "")));
        assertEquals(theirs.stderr().trim(), "qemu-io: can't open: " + refused.getMessage());
    }

    private static boolean knowsHoles(Path file) throws IOException {
        try (BlockFile storage = JblockImages.REGISTRY.openFile(file.toString(), true, BlockFile.LockMode.NONE)) {
            return storage.capabilities().contains(BlockFile.Capability.HOLES);
        }
    }
}
