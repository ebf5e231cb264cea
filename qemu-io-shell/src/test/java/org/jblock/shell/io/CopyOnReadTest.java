package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copy-on-read as qemu-io offers it ({@code -C}, {@code open -C}, {@code copy-on-read=on}, the
 * {@code copy-on-read} filter), and blkdebug above the format with its {@code cor_write} event, on a
 * real differencing VHD over a real parent.
 */
class CopyOnReadTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private final DriverRegistry registry = DriverRegistry.load();
    private Path base;
    private Path child;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = JblockIo.run(args, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A 64 MiB parent with 0x55 at 3 MiB (64 KiB) and a child that holds 0x11 at 1 MiB (64 KiB). */
    @BeforeEach
    void chain() throws IOException {
        base = dir.resolve("base.vhd");
        child = dir.resolve("child.vhd");
        registry.create(base, "vpc", 64L * MIB, "");
        try (BlockImage image = registry.open(base, OpenSpec.readWrite())) {
            image.write(3L * MIB, filled(64 << 10, 0x55));
        }
        registry.create(child, "vpc", -1, "", base.getFileName().toString(), "vpc");
        try (BlockImage image = registry.open(child, OpenSpec.readWrite())) {
            image.write(MIB, filled(64 << 10, 0x11));
        }
    }

    private static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    /** The runs of the child's own layer (depth 0, allocated) in {@code [offset, offset+length)}. */
    private List<Extent> ownRuns(long offset, long length) throws IOException {
        try (BlockImage image = registry.open(child, OpenSpec.readOnlySpec())) {
            return image.blockStatus(offset, length).stream().filter(e -> e.depth() == 0 && e.allocated()).toList();
        }
    }

    private byte[] childBytes(long offset, int length) throws IOException {
        try (BlockImage image = registry.open(child, OpenSpec.readOnlySpec())) {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            image.read(offset, buffer);
            return buffer.array();
        }
    }

    private byte[] baseFile() throws IOException {
        return Files.readAllBytes(base);
    }

    private void assertCopiedBlockAt3MiB() throws IOException {
        // vpc's cluster is its 2 MiB block: the read is widened to [2 MiB, 4 MiB); the parent's data and
        // the zeros after it in the block the copy allocates are the child's now.
        List<Extent> own = ownRuns(2L * MIB, 2L * MIB);
        assertEquals(1, own.size(), own::toString);
        assertEquals(3L * MIB, own.get(0).start());
        assertEquals(4L * MIB, own.get(0).end());
        assertArrayEquals(filled(64 << 10, 0x55).array(), childBytes(3L * MIB, 64 << 10));
    }

    @Test
    void withoutCopyOnReadAReadLeavesTheChildAlone() throws IOException {
        Outcome plain = run("-c", "read -P 0x55 3M 64k", child.toString());
        assertEquals(0, plain.status(), plain.out() + plain.err());
        assertEquals(List.of(), ownRuns(2L * MIB, 2L * MIB));
    }

    @Test
    void dashCCopiesWhatTheParentHoldsIntoTheChild() throws IOException {
        byte[] before = baseFile();
        Outcome read = run("-C", "-c", "read -P 0x55 3M 64k", child.toString());
        assertEquals(0, read.status(), read.out() + read.err());
        assertTrue(read.out().startsWith("read 65536/65536 bytes at offset 3145728\n"), read.out());
        assertCopiedBlockAt3MiB();
        assertArrayEquals(before, baseFile(), "the parent is never written");
        assertTrue(run("-c", "map", child.toString()).out().contains("allocated at offset 3 MiB"),
                "qemu-io's map shows the copy in the top image");
    }

    @Test
    void openDashCCopies() throws IOException {
        Outcome open = run("-c", "open -C " + child, "-c", "read -P 0x55 3M 4k");
        assertEquals(0, open.status(), open.out() + open.err());
        assertCopiedBlockAt3MiB();
    }

    @Test
    void theCopyOnReadOptionCopies() throws IOException {
        Outcome option = run("-c", "open -o copy-on-read=on " + child, "-c", "read -P 0x55 3M 4k");
        assertEquals(0, option.status(), option.out() + option.err());
        assertCopiedBlockAt3MiB();
    }

    @Test
    void theCopyOnReadFilterCopiesAsTheOptionDoes() throws IOException {
        Outcome filter = run("--image-opts", "-c", "read -P 0x55 3M 64k",
                "driver=copy-on-read,file.driver=vpc,file.file.filename=" + child);
        assertEquals(0, filter.status(), filter.out() + filter.err());
        assertCopiedBlockAt3MiB();
    }

    @Test
    void whatTheChildHoldsIsNeitherCopiedNorChanged() throws IOException {
        Outcome read = run("-C", "-c", "read -P 0 0 1M", "-c", "read -P 0x11 1M 64k", "-c", "read -P 0 1088k 960k",
                child.toString());
        assertEquals(0, read.status(), read.out() + read.err());
        assertEquals(List.of(0L, 2L * MIB), List.of(ownRuns(0, 2L * MIB).get(0).start(),
                ownRuns(0, 2L * MIB).get(ownRuns(0, 2L * MIB).size() - 1).end()));
        assertArrayEquals(filled(64 << 10, 0x11).array(), childBytes(MIB, 64 << 10));
    }

    @Test
    void copyOnReadNeedsAWritableImage() {
        assertEquals("jblock-io: can't open device " + child + ": Can't use copy-on-read on read-only device\n",
                run("-C", "-r", child.toString()).err());
        assertEquals("jblock-io: can't open device " + child + ": Block node is read-only\n",
                run("-c", "open -r -o driver=copy-on-read,file.driver=vpc " + child).err());
    }

    @Test
    void blkdebugAboveTheFormatSeesTheCopyOnReadWritesAsCorWrite() throws IOException {
        // A rule that fails writes to sector 2048 (1 MiB), switched on by the first copy-on-read write.
        Path rules = dir.resolve("rules.conf");
        Files.writeString(rules, "[inject-error]\nevent = \"cor_write\"\niotype = \"write\"\nsector = \"2048\"\n");
        String open = "open -C -o driver=blkdebug,config=" + rules + ",image.driver=vpc " + child;
        // The child holds [1 MiB, 1 MiB + 64 KiB): copying the rest of the block around it never writes sector 2048.
        Outcome around = run("-c", open, "-c", "read -P 0x11 1M 64k", "-c", "read -P 0 1088k 64k");
        assertEquals(0, around.status(), around.out() + around.err());
        assertEquals(2L * MIB, ownRuns(0, 2L * MIB).get(ownRuns(0, 2L * MIB).size() - 1).end());

        // A rule on a sector the copy does write fails the read, as qemu-io's does.
        Files.writeString(rules, "[inject-error]\nevent = \"cor_write\"\nsector = \"6144\"\n");
        Outcome failing = run("-c", open, "-c", "read -P 0x55 3M 64k");
        assertEquals(1, failing.status());
        assertEquals("read failed: Input/output error\n", failing.out());
        assertEquals(List.of(), ownRuns(2L * MIB, 2L * MIB), "nothing was copied");

        // Plain writes are no copy-on-read: the rule never switches on.
        Outcome write = run("-c", "open -o driver=blkdebug,config=" + rules + ",image.driver=vpc " + child,
                "-c", "write -P 0x22 3M 4k");
        assertEquals(0, write.status(), write.out() + write.err());
    }
}
