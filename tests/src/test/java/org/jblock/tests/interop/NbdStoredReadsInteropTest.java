package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only export sends the data runs that lie as they read in a local file straight from the
 * file ({@link BlockImage#hostStorage()}, sendfile): raw images, fixed VHDs, dynamic VHDs and the
 * layers of a differencing chain. Real clients read them whole (nbdcopy) and piecewise across data,
 * holes and block boundaries with structured replies, the don't-fragment flag and simple replies
 * (nbdsh), and every byte is compared with what jblock reads of the image itself.
 */
class NbdStoredReadsInteropTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.require();
        RealTools.require(Tool.NBDCOPY, Tool.NBDSH);
    }

    @Test
    void aSparseRawImage() throws IOException {
        Path raw = dir.resolve("disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(12L * MIB);
            file.seek(0);
            file.write(random(3 * MIB + 1000, 1));
            file.seek(7L * MIB + 512);
            file.write(random(2 * MIB, 2));
        }
        assertServedAsRead(raw, "raw");
    }

    @Test
    void aFixedVhd() throws IOException {
        Path vhd = dir.resolve("fixed.vhd");
        Qemu.create(vhd, "vpc", "subformat=fixed", 10L * MIB);
        Qemu.io(vhd, "vpc", List.of("write -P 0x31 0 3M", "write -P 0x32 5M 1536k", "write -z 6M 256k"));
        assertServedAsRead(vhd, "vpc");
    }

    @Test
    void aDynamicVhd() throws IOException {
        Path vhd = dir.resolve("dynamic.vhd");
        Qemu.create(vhd, "vpc", "", 16L * MIB);
        Qemu.io(vhd, "vpc", List.of("write -P 0x41 0 3M", "write -P 0x42 5M 1536k", "write -P 0x43 12M 4k",
                "write -P 0x44 10M 512"));
        assertServedAsRead(vhd, "vpc");
    }

    @Test
    void aDifferencingChainWithSectorsFromEachLayer() throws IOException {
        Path parent = dir.resolve("parent.vhd");
        JblockImages.REGISTRY.create(parent, "vpc", 12L * MIB, "");
        Path child = dir.resolve("child.vhd");
        JblockImages.REGISTRY.create(child, "vpc", -1, "", "parent.vhd", null);
        try (BlockImage image = JblockImages.REGISTRY.open(parent, new OpenSpec("vpc", false, false, ""))) {
            image.write(0, ByteBuffer.wrap(random(6 * MIB, 3)));
            image.write(9L * MIB, ByteBuffer.wrap(random(MIB, 4)));
        }
        try (BlockImage image = JblockImages.REGISTRY.open(child, new OpenSpec("vpc", false, false, ""))) {
            // Single sectors and short runs: the child's blocks hold some sectors, the parent the rest.
            Random random = new Random(5);
            for (int i = 0; i < 40; i++) {
                long at = random.nextInt(12 * MIB / 512) * 512L;
                int length = (int) Math.min(512 * (1 + random.nextInt(16)), 12L * MIB - at);
                image.write(at, ByteBuffer.wrap(random(length, 10 + i)));
            }
        }
        assertServedAsRead(child, "vpc");
    }

    /** Serves the image read-only and checks nbdcopy's copy and nbdsh's reads against jblock's own reads. */
    private void assertServedAsRead(Path image, String format) throws IOException {
        byte[] expected;
        try (BlockImage opened = JblockImages.REGISTRY.open(image, new OpenSpec(format, true, false, ""))) {
            for (BlockImage layer = opened; layer != null; layer = layer.backing().orElse(null)) {
                BlockFile storage = layer.hostStorage().orElseThrow(() -> new AssertionError("no host storage"));
                assertTrue(storage.capabilities().contains(BlockFile.Capability.TRANSFER),
                        "the local file sends its bytes itself: " + storage.capabilities());
            }
            ByteBuffer all = ByteBuffer.allocate((int) opened.size());
            opened.read(0, all);
            expected = all.array();
        }
        Path expectedFile = dir.resolve("expected.raw");
        Files.write(expectedFile, expected);
        try (NbdServers jblock = NbdServers.jblock(image, format, true, 4, dir)) {
            Path copy = dir.resolve("copy.raw");
            RealTools.run(Tool.NBDCOPY, jblock.uri(), copy.toString()).assertSucceeded();
            assertArrayEquals(expected, Files.readAllBytes(copy), "nbdcopy's copy");
            Files.delete(copy);

            Path script = dir.resolve("reads.py");
            try (var in = NbdStoredReadsInteropTest.class.getResourceAsStream("/nbd/reads.py")) {
                Files.copy(in, script);
            }
            Result reads = RealTools.run(Tool.NBDSH, script.toString(), jblock.uri(), expectedFile.toString());
            assertEquals("ok\n", reads.stdout(), reads::describe);
        }
    }

    private static byte[] random(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
