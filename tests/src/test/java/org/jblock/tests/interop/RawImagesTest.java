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

    private static boolean knowsHoles(Path file) throws IOException {
        try (BlockFile storage = JblockImages.REGISTRY.openFile(file.toString(), true, BlockFile.LockMode.NONE)) {
            return storage.capabilities().contains(BlockFile.Capability.HOLES);
        }
    }
}
