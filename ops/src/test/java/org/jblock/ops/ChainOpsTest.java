package org.jblock.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ProgressListener;
import org.jblock.registry.ChainMode;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** commit, rebase and convert -B on real VHD chains in files, opened by the registry. */
class ChainOpsTest {
    private static final DriverRegistry REGISTRY = DriverRegistry.load();
    private static final int MIB = 1 << 20;
    private static final long SIZE = 6L * MIB;

    @TempDir
    Path dir;

    static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    static byte[] all(BlockImage image) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) image.size());
        image.read(0, buffer);
        return buffer.array();
    }

    private Path layer(String name, String backing, long offset, int length, int value) throws IOException {
        Path path = dir.resolve(name);
        if (backing == null) {
            REGISTRY.create(path, "vpc", SIZE, "force_size=on");
        } else {
            REGISTRY.create(path, "vpc", -1, "", backing, null);
        }
        try (BlockImage image = REGISTRY.open(path, OpenSpec.readWrite())) {
            image.write(offset, filled(length, value));
        }
        return path;
    }

    /** base (data from 0 to 3 MiB), mid (1 to 2 MiB), top (64 KiB at 3 MiB, and 4 KiB of zeros at 0). */
    private Path chain() throws IOException {
        layer("base.vhd", null, 0, 3 * MIB, 0x11);
        layer("mid.vhd", "base.vhd", MIB, MIB, 0x22);
        Path top = layer("top.vhd", "mid.vhd", 3 * MIB, 64 << 10, 0x33);
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite())) {
            image.write(0, filled(4096, 0));
        }
        return top;
    }

    private static byte[] content(Path image) throws IOException {
        try (BlockImage opened = REGISTRY.open(image, OpenSpec.readOnlySpec())) {
            return all(opened);
        }
    }

    @Test
    void commitWritesTheTopIntoItsBackingFileAndEmptiesIt() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite(), ChainMode.WRITABLE_BACKING)) {
            Commit.commit(image, image.backing().orElseThrow(), true, 2, ProgressListener.NONE);
        }
        assertArrayEquals(before, content(top));
        assertArrayEquals(before, content(dir.resolve("mid.vhd")), "mid now holds what top held");
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readOnlySpec())) {
            assertTrue(image.blockStatus(0, SIZE).stream().allMatch(e -> e.depth() > 0), "top is empty");
        }
        assertTrue(Files.size(top) < 64 << 10, "the emptied top gave its blocks back: " + Files.size(top));
    }

    @Test
    void commitIntoADeeperBaseLeavesTheTopAlone() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite(), ChainMode.WRITABLE_BACKING)) {
            BlockImage base = Commit.chain(image).get(2);
            Commit.commit(image, base, false, 1, ProgressListener.NONE);
        }
        assertArrayEquals(before, content(dir.resolve("base.vhd")), "base alone reads as top did");
        assertArrayEquals(before, content(top));
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readOnlySpec())) {
            assertTrue(image.blockStatus(3 * MIB, 64 << 10).stream().allMatch(e -> e.depth() == 0),
                    "-b implies -d: the top keeps its data");
        }
    }

    @Test
    void commitOfAnImageWithoutBackingFileIsRefused() throws IOException {
        Path base = layer("alone.vhd", null, 0, 4096, 1);
        try (BlockImage image = REGISTRY.open(base, OpenSpec.readWrite(), ChainMode.WRITABLE_BACKING)) {
            BlockException e = assertThrows(BlockException.class,
                    () -> Commit.commit(image, image, true, 1, ProgressListener.NONE));
            assertEquals("Image does not have a backing file", e.getMessage());
        }
    }

    @Test
    void safeRebaseKeepsTheContentAndUnsafeOnlyRepoints() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        Files.copy(top, dir.resolve("unsafe.vhd"));
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite())) {
            Rebase.rebase(image, REGISTRY.openBacking(top, "base.vhd", null), true, ProgressListener.NONE);
            assertEquals("base.vhd", image.info().backing().orElseThrow().name());
        }
        assertArrayEquals(before, content(top), "safe rebase: same content over base");
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readOnlySpec())) {
            assertEquals(2, Commit.chain(image).size(), "top now sits on base directly");
        }

        Path unsafe = dir.resolve("unsafe.vhd");
        try (BlockImage image = REGISTRY.open(unsafe, OpenSpec.readWrite(), ChainMode.NO_BACKING)) {
            Rebase.rebase(image, REGISTRY.openBacking(unsafe, "base.vhd", null), false, ProgressListener.NONE);
        }
        byte[] after = content(unsafe);
        assertArrayEquals(filled(MIB, 0x11).array(), java.util.Arrays.copyOfRange(after, MIB, 2 * MIB),
                "unsafe rebase: mid's data is no longer seen");
    }

    @Test
    void rebaseOntoNothingFlattensTheChain() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite())) {
            Rebase.rebase(image, null, true, ProgressListener.NONE);
        }
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readOnlySpec())) {
            assertTrue(image.info().backing().isEmpty());
            assertEquals("dynamic", image.info().formatSpecific().get("subformat"));
            assertArrayEquals(before, all(image));
        }
        Files.delete(dir.resolve("mid.vhd"));
        Files.delete(dir.resolve("base.vhd"));
        assertArrayEquals(before, content(top), "it needs neither parent any more");
    }

    @Test
    void aMovedChainIsRelinkedByAnUnsafeRebaseWithARelativeName() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        Path images = Files.createDirectory(dir.resolve("images"));
        Files.move(dir.resolve("mid.vhd"), images.resolve("mid.vhd"));
        Files.move(dir.resolve("base.vhd"), images.resolve("base.vhd"));
        BlockException lost = assertThrows(BlockException.class, () -> content(top));
        assertTrue(lost.getMessage().contains("mid.vhd"), lost.getMessage());
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readWrite(), ChainMode.NO_BACKING)) {
            Rebase.rebase(image, REGISTRY.openBacking(top, "images/mid.vhd", null), false, ProgressListener.NONE);
        }
        assertArrayEquals(before, content(top));
        // The whole folder moves: the relative locators still find every parent.
        Path moved = Files.createDirectory(dir.resolve("moved"));
        Files.move(top, moved.resolve("top.vhd"));
        Files.move(images, moved.resolve("images"));
        assertArrayEquals(before, content(moved.resolve("top.vhd")));
    }

    @Test
    void aChainThatLoopsIsRefused() throws IOException {
        layer("a.vhd", null, 0, 4096, 1);
        Path b = layer("b.vhd", "a.vhd", 4096, 4096, 2);
        Path a = dir.resolve("a.vhd");
        // Make a differencing image over b, then give its place to a: a's parent is b, b's parent is a.
        Path c = layer("c.vhd", "b.vhd", 8192, 4096, 3);
        Files.move(c, a, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BlockException e = assertThrows(BlockException.class, () -> content(b));
        assertTrue(e.getMessage().contains("the backing chain loops"), e.getMessage());
    }

    @Test
    void chainsUpToTheDepthLimitOpenAndDeeperOnesAreRefused() throws IOException {
        layer("l0.vhd", null, 0, 512, 1);
        for (int i = 1; i <= 65; i++) {
            Path path = dir.resolve("l" + i + ".vhd");
            REGISTRY.create(path, "vpc", -1, "", "l" + (i - 1) + ".vhd", null);
        }
        try (BlockImage image = REGISTRY.open(dir.resolve("l64.vhd"), OpenSpec.readOnlySpec())) {
            assertArrayEquals(filled(512, 1).array(), java.util.Arrays.copyOf(all(image), 512));
            assertEquals(64, image.blockStatus(0, 512).get(0).depth());
        }
        BlockException e = assertThrows(BlockException.class, () -> content(dir.resolve("l65.vhd")));
        assertTrue(e.getMessage().contains("deeper than 64"), e.getMessage());
    }

    @Test
    void childrenOfOneParentReadItConcurrently() throws Exception {
        layer("base.vhd", null, 0, (int) SIZE, 0x44);
        List<Path> children = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            children.add(layer("child" + i + ".vhd", "base.vhd", (long) i * MIB, 4096, 0x50 + i));
        }
        List<BlockImage> open = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (Path child : children) {
                open.add(REGISTRY.open(child, OpenSpec.readOnlySpec()));
            }
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                for (BlockImage image : open) {
                    reads.add(pool.submit(() -> all(image)));
                }
            }
            for (int k = 0; k < reads.size(); k++) {
                byte[] got = reads.get(k).get(60, TimeUnit.SECONDS);
                int i = k % open.size();
                byte[] expected = filled((int) SIZE, 0x44).array();
                java.util.Arrays.fill(expected, i * MIB, i * MIB + 4096, (byte) (0x50 + i));
                assertArrayEquals(expected, got, "child " + i);
            }
        } finally {
            pool.shutdownNow();
            for (BlockImage image : open) {
                image.close();
            }
        }
    }

    @Test
    void convertOverABackingFileWritesOnlyWhatDiffers() throws IOException {
        Path top = chain();
        byte[] before = content(top);
        Path out = dir.resolve("out.vhd");
        REGISTRY.create(out, "vpc", SIZE, "", "base.vhd", null);
        try (BlockImage source = REGISTRY.open(top, OpenSpec.readOnlySpec());
             BlockImage target = REGISTRY.open(out, OpenSpec.readWrite())) {
            Differences.copy(source, target.backing().orElseThrow(), target, e -> true, ProgressListener.NONE);
        }
        assertArrayEquals(before, content(out));
        try (BlockImage image = REGISTRY.open(out, OpenSpec.readOnlySpec())) {
            long own = image.blockStatus(0, SIZE).stream().filter(e -> e.depth() == 0).mapToLong(Extent::length).sum();
            assertEquals(MIB + (64 << 10) + 4096, own, "mid's MiB, top's 64 KiB and its 4 KiB of zeros");
        }
    }

    @Test
    void anImageOpenedWithoutItsChainStillNamesItsBackingFile() throws IOException {
        Path top = chain();
        Files.delete(dir.resolve("mid.vhd"));
        try (BlockImage image = REGISTRY.open(top, OpenSpec.readOnlySpec(), ChainMode.NO_BACKING)) {
            assertEquals("mid.vhd", image.info().backing().orElseThrow().name());
            assertTrue(image.backing().isEmpty());
        }
    }
}
