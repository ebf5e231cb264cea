package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.OptionalLong;

import org.jblock.api.BlockImage;
import org.jblock.tests.interop.JblockImages.Written;
import org.jblock.tests.interop.RealTools.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VHDs that jblock creates and writes, read by QEMU exactly as jblock wrote them: {@code qemu-img
 * info} finds jblock's virtual size and block size, {@code qemu-img compare} finds the expected
 * content, and a {@code qemu-img convert} round trip keeps it.
 */
class JblockImagesReadByQemuTest {
    @TempDir
    Path dir;

    @BeforeEach
    void requireQemu() {
        Qemu.require();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#jblockImages")
    void qemuImgInfoReportsJblocksSizes(VhdCase c) throws IOException {
        Written written = JblockImages.createAndWrite(dir, c);

        Qemu.Info info = Qemu.info(written.image(), "vpc");

        assertEquals(written.size(), info.virtualSize(), "virtual size");
        assertEquals(c.fixed() ? OptionalLong.empty() : OptionalLong.of(c.expectedBlockSize()), info.clusterSize(),
                "cluster size (a dynamic image's block size)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#matrix")
    void createsTheVirtualSizeQemuImgCreates(VhdCase c) throws IOException {
        Path qemuImage = dir.resolve("qemu.vhd");
        Qemu.create(qemuImage, "vpc", c.qemuOptions(), c.size());
        Path jblockImage = dir.resolve("jblock.vhd");
        JblockImages.create(jblockImage, c);

        try (BlockImage image = JblockImages.REGISTRY.open(jblockImage, JblockImages.vpc(true))) {
            assertEquals(Qemu.info(qemuImage, "vpc").virtualSize(), image.size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#jblockImages")
    void qemuImgCompareFindsTheWrittenContent(VhdCase c) throws IOException {
        Written written = JblockImages.createAndWrite(dir, c);

        Result compare = Qemu.compare(written.model(), written.image(), "vpc");

        assertEquals(0, compare.exitCode(), compare::describe);
        assertTrue(compare.stdout().contains("Images are identical."), compare::describe);
        assertTrue(compare.stderr().isBlank(), () -> "no size mismatch warning: " + compare.describe());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#matrix")
    void convertRoundTripKeepsTheContent(VhdCase c) throws IOException {
        Written written = JblockImages.createAndWrite(dir, c);
        Path raw = dir.resolve("converted.raw");
        Path back = dir.resolve("converted.vhd");

        Qemu.convertToRaw(written.image(), "vpc", raw);
        // force_size keeps jblock's exact size; without it QEMU would round it to CHS again.
        Qemu.convert(written.image(), "vpc", back, "vpc", "subformat=" + c.subformat() + ",force_size=on");

        var ranges = Content.toCompare(written.size(), written.plan().ranges());
        try (FileChannel expected = Content.openRaw(written.model()); FileChannel converted = Content.openRaw(raw);
             BlockImage image = JblockImages.REGISTRY.open(back, JblockImages.vpc(true))) {
            assertEquals(written.size(), converted.size(), "size of qemu-img's raw copy");
            Content.assertSame("qemu-img convert -O raw", Content.ofRaw(expected), Content.ofRaw(converted), ranges);
            assertEquals(written.size(), image.size(), "size of qemu-img's vpc copy");
            Content.assertSame("jblock reading qemu-img's vpc copy", Content.ofRaw(expected), Content.of(image),
                    ranges);
        }
    }
}
