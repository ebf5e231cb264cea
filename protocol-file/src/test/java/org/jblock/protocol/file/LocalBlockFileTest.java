package org.jblock.protocol.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.InvalidRequestException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a local file does beyond the protocol contract (which runs in the tests module). */
class LocalBlockFileTest {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    private BlockFile newFile(byte[] content) throws IOException {
        Path path = dir.resolve("file" + FILES.incrementAndGet() + ".img");
        Files.write(path, content);
        return LocalBlockFile.open(path, false);
    }

    private static BlockFile reopenReadOnly(BlockFile file) throws IOException {
        return LocalBlockFile.open(((LocalBlockFile) file).path(), true);
    }

    /** @return the bytes the file occupies on disk, as {@code stat} reports them (the JDK has no attribute for it) */
    static long allocatedBytes(Path path) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", path.toString()).redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(stat.waitFor() == 0, "stat -c '%b %B' is not available here: " + out);
        String[] blocksAndUnit = out.split(" ");
        return Long.parseLong(blocksAndUnit[0]) * Long.parseLong(blocksAndUnit[1]);
    }

    @Test
    void growing_by_truncate_is_sparse() throws Exception {
        Path path = dir.resolve("sparse.img");
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            file.truncate(1L << 30);
            file.flush();
        }
        assertEquals(1L << 30, Files.size(path));
        long used = allocatedBytes(path);
        assertTrue(used < (1 << 20), "a 1 GiB sparse file occupies " + used + " bytes");
    }

    @Test
    void allocated_size_is_the_blocks_the_file_takes_as_stat_counts_them() throws Exception {
        Path sparse = dir.resolve("sparse.img");
        try (LocalBlockFile file = LocalBlockFile.create(sparse)) {
            file.truncate(64 << 20);
            file.write(ByteBuffer.wrap(pattern(1 << 20, 5)), 8 << 20);
            file.flush();
            assertEquals(allocatedBytes(sparse), file.allocatedSize());
            assertTrue(file.allocatedSize() >= (1 << 20) && file.allocatedSize() < (4 << 20),
                    "1 MiB of data in a 64 MiB sparse file takes " + file.allocatedSize() + " bytes");
        }
        Path dense = dir.resolve("dense.img");
        Files.write(dense, pattern(3 << 20, 4));
        try (LocalBlockFile file = LocalBlockFile.open(dense, true)) {
            assertEquals(allocatedBytes(dense), file.allocatedSize());
            assertTrue(file.allocatedSize() >= (3 << 20), "a dense file takes its length: " + file.allocatedSize());
        }
    }

    @Test
    void create_empties_a_file_that_exists() throws Exception {
        Path path = dir.resolve("old.img");
        Files.write(path, pattern(4096, 30));
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            assertEquals(0, file.size());
            assertEquals(path, file.path());
            assertEquals(path.toString(), file.name());
        }
        assertEquals(0, Files.size(path));
    }

    @Test
    void opening_a_missing_file_names_it() {
        Path path = dir.resolve("missing.img");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> LocalBlockFile.open(path, true));
        assertEquals(path + ": No such file or directory", e.getMessage());
    }

    @Test
    void opening_or_creating_a_directory_is_refused_in_qemu_s_words() {
        BlockException open = assertThrows(BlockException.class, () -> LocalBlockFile.open(dir, true));
        assertEquals("'file' driver requires '" + dir + "' to be a regular file", open.getMessage());
        java.nio.file.FileSystemException forWriting = assertThrows(java.nio.file.FileSystemException.class,
                () -> LocalBlockFile.open(dir, false));
        assertEquals("Is a directory", forWriting.getReason(), "opening a directory for writing fails as open(2) does");
        assertThrows(java.nio.file.FileSystemException.class, () -> LocalBlockFile.create(dir));
    }

    @Test
    void a_device_protocol_takes_character_devices_and_refuses_the_rest() throws Exception {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull), "no /dev/null here");
        try (LocalBlockFile device = LocalBlockFile.openDevice(devNull, true, "host_device", false)) {
            assertEquals(0, device.size());
        }
        Path file = Files.write(dir.resolve("plain.img"), new byte[512]);
        BlockException e = assertThrows(BlockException.class, () -> LocalBlockFile.openDevice(file, true, "host_cdrom", false));
        assertEquals("'host_cdrom' driver requires '" + file + "' to be either a character or block device", e.getMessage());
    }

    @Test
    void a_fifo_is_refused_in_one_line_without_waiting_for_a_writer() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");
        BlockException e = assertThrows(BlockException.class, () -> LocalBlockFile.open(fifo, true));
        assertEquals("'file' driver requires '" + fifo + "' to be a regular file", e.getMessage());
        assertThrows(BlockException.class, () -> LocalBlockFile.create(fifo));
    }

    /** A block device (a loop device over a file, where this user may make one) opens with its size. */
    @Test
    void a_block_device_opens_with_its_size_and_its_bytes() throws Exception {
        Path backing = dir.resolve("disk.img");
        byte[] content = pattern(3 << 20, 34);
        Files.write(backing, content);
        Process attach = new ProcessBuilder("losetup", "-f", "--show", backing.toString()).redirectErrorStream(true).start();
        String device = new String(attach.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        Assumptions.assumeTrue(attach.waitFor() == 0 && device.startsWith("/dev/"),
                "no loop device can be made here (losetup needs root): " + device);
        try (LocalBlockFile file = LocalBlockFile.open(Path.of(device), true)) {
            assertEquals(3 << 20, file.size());
            ByteBuffer tail = ByteBuffer.allocate(4096);
            file.readFully(tail, (3 << 20) - 4096);
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    java.util.Arrays.copyOfRange(content, (3 << 20) - 4096, 3 << 20), tail.array());
        } finally {
            new ProcessBuilder("losetup", "-d", device).redirectErrorStream(true).start().waitFor();
        }
    }

    @Test
    void a_character_device_is_refused_in_one_line() {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull), "no /dev/null here");
        BlockException e = assertThrows(BlockException.class, () -> LocalBlockFile.open(devNull, false));
        assertEquals("'file' driver requires '/dev/null' to be a regular file", e.getMessage());
    }

    @Test
    void a_read_only_file_cannot_take_the_write_lock() throws Exception {
        try (BlockFile writable = newFile(pattern(10, 32)); BlockFile reader = reopenReadOnly(writable)) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> reader.lock(BlockFile.LockMode.EXCLUSIVE));
            assertEquals(reader.name() + ": cannot take the \"write\" lock on a file opened read-only", e.getMessage());
        }
    }

    @Test
    void a_thread_interrupted_during_io_gets_a_typed_error() throws Exception {
        try (BlockFile file = newFile(pattern(4096, 33))) {
            Thread.currentThread().interrupt();
            try {
                BlockException e = assertThrows(BlockException.class, () -> file.read(ByteBuffer.allocate(16), 0));
                assertEquals(file.name() + ": I/O interrupted; the file is closed", e.getMessage());
            } finally {
                Thread.interrupted();
            }
        }
    }
}
