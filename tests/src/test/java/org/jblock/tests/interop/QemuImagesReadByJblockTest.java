package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VHDs that {@code qemu-img create} makes and {@code qemu-io} writes into, read by jblock exactly
 * as QEMU reads them: the same virtual size, the same bytes, the same allocated blocks.
 */
class QemuImagesReadByJblockTest {
    @TempDir
    Path dir;

    /**
     * An image made and written by QEMU.
     *
     * @param raw       QEMU's own reading of it ({@code qemu-img convert -O raw}): the truth
     * @param qemuSize  the virtual size {@code qemu-img info} reports
     */
    private record QemuImage(Path image, Path raw, long qemuSize, WritePlan plan) {
    }

    @BeforeEach
    void requireQemu() {
        Qemu.require();
    }

    private QemuImage qemuImage(VhdCase c) throws IOException {
        Path image = dir.resolve("qemu.vhd");
        Qemu.create(image, "vpc", c.qemuOptions(), c.size());
        long size = Qemu.info(image, "vpc").virtualSize();
        WritePlan plan = WritePlan.forDisk(size, VhdCase.DEFAULT_BLOCK_SIZE, false);
        Qemu.io(image, "vpc", plan.qemuIoCommands());
        Path raw = dir.resolve("qemu.raw");
        Qemu.convertToRaw(image, "vpc", raw);
        return new QemuImage(image, raw, size, plan);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#matrix")
    void probesAsVpcWithQemusVirtualSize(VhdCase c) throws IOException {
        QemuImage qemu = qemuImage(c);

        try (BlockImage image = JblockImages.REGISTRY.open(qemu.image(), OpenSpec.readOnlySpec())) {
            assertEquals("vpc", image.info().format(), "format found by probing");
            assertEquals(qemu.qemuSize(), image.size(), "virtual size");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#matrix")
    void readsTheBytesQemuIoWrote(VhdCase c) throws IOException {
        QemuImage qemu = qemuImage(c);
        Path model = dir.resolve("expected.raw");
        qemu.plan().writeRawModel(model, qemu.qemuSize());

        try (FileChannel expected = Content.openRaw(model); FileChannel qemuRaw = Content.openRaw(qemu.raw());
             BlockImage image = JblockImages.REGISTRY.open(qemu.image(), JblockImages.vpc(true))) {
            // The written ranges hold the plan in QEMU's own reading: the comparison is not of empty disks.
            Content.assertSame("qemu-img convert vs the writes", Content.ofRaw(expected), Content.ofRaw(qemuRaw),
                    qemu.plan().ranges());
            Content.assertSame("jblock vs qemu-img convert", Content.ofRaw(qemuRaw), Content.of(image),
                    Content.toCompare(qemu.qemuSize(), qemu.plan().ranges()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#dynamicMatrix")
    void blockStatusListsTheBlocksQemuMapLists(VhdCase c) throws IOException {
        QemuImage qemu = qemuImage(c);
        var qemuRuns = DataRuns.of(Qemu.map(qemu.image(), "vpc"));
        assertFalse(qemuRuns.isEmpty(), "qemu-io's writes allocated blocks");

        try (BlockImage image = JblockImages.REGISTRY.open(qemu.image(), JblockImages.vpc(true))) {
            assertEquals(qemuRuns, DataRuns.of(image));
        }
    }
}
