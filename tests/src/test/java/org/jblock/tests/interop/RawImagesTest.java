package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
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
}
