package org.jblock.protocol.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holes of a local file: on JDK 22+ on Linux, on a file system that keeps holes, they are seen and
 * punched; everywhere else (JDK 17 above all) the documented fallback holds: all data, zeros written.
 * The build runs this class on both JDKs when it finds a JDK 22+.
 */
class LocalBlockFileHolesTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** Whether this JDK, operating system and file system are to report and punch holes. */
    private boolean holesExpected() throws IOException {
        return Runtime.version().feature() >= 22
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && keepsHoles();
    }

    /** 16 MiB: data at [1 MiB, 2 MiB) and [8 MiB, 8 MiB + 4 KiB), holes elsewhere. */
    private Path sparseFile() throws IOException {
        Path path = dir.resolve("sparse.img");
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            file.truncate(16 * MIB);
            file.write(ByteBuffer.wrap(filled((int) MIB, 7)), MIB);
            file.write(ByteBuffer.wrap(filled(4096, 9)), 8 * MIB);
            file.flush();
        }
        return path;
    }

    /** Whether the file system keeps a grown file sparse (then it reports holes to SEEK_DATA too). */
    private boolean keepsHoles() throws IOException {
        Path probe = dir.resolve("probe.sparse");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(probe.toFile(), "rw")) {
            file.setLength(64 << 20);
        }
        try {
            return LocalBlockFileTest.allocatedBytes(probe) == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.delete(probe);
        }
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    @Test
    void seek_data_and_hole_find_the_runs_or_report_all_data() throws Exception {
        Path path = sparseFile();
        try (LocalBlockFile file = LocalBlockFile.open(path, true)) {
            if (holesExpected()) {
                assertTrue(file.capabilities().contains(BlockFile.Capability.HOLES));
                assertEquals(MIB, file.seekData(0));
                assertEquals(2 * MIB, file.seekHole(MIB));
                assertEquals(8 * MIB, file.seekData(2 * MIB));
                // a file system may round the data run up to its block size, never past the next hole
                long hole = file.seekHole(8 * MIB);
                assertTrue(hole >= 8 * MIB + 4096 && hole < 16 * MIB, "hole after the second run at " + hole);
                assertEquals(16 * MIB, file.seekData(hole), "only holes follow: ENXIO means the size");
            } else {
                assertFalse(file.capabilities().contains(BlockFile.Capability.HOLES));
                assertEquals(0, file.seekData(0));
                assertEquals(16 * MIB, file.seekHole(0));
                assertEquals(3 * MIB, file.seekData(3 * MIB));
            }
            assertEquals(16 * MIB, file.seekData(16 * MIB));
            assertEquals(16 * MIB, file.seekHole(20 * MIB));
        }
    }

    /**
     * The binding that {@link FileProtocol#prepare} starts on a thread of its own serves the first
     * question, asked before it may be done: in a fresh JVM, the answers are those of a binding made
     * on the spot.
     */
    @Test
    void holes_bound_ahead_on_another_thread_answer_as_holes_bound_on_the_spot() throws Exception {
        Path path = sparseFile();
        String expected = holesExpected() ? "true " + MIB + " " + 2 * MIB + " " + 8 * MIB
                : "false 0 " + 16 * MIB + " " + 3 * MIB;
        List<String> nativeAccess = Runtime.version().feature() >= 22 ? List.of("--enable-native-access=ALL-UNNAMED")
                : List.of();
        assertEquals(List.of(expected, ""), probeAfterPrepare(path, nativeAccess));
    }

    /**
     * A binding refused on the thread that prepares leaves what a refused binding leaves: all data, and
     * no word of it. JDK 24+ refuses it by {@code --illegal-native-access=deny}; before JDK 22 there is
     * no binding, and preparing must leave the same.
     */
    @Test
    void holes_whose_binding_ahead_is_refused_read_as_all_data_and_nothing_is_printed() throws Exception {
        int feature = Runtime.version().feature();
        Assumptions.assumeFalse(feature == 22 || feature == 23, "JDK 22 and 23 can warn about native access, not deny it");
        Path path = sparseFile();
        assertEquals(List.of("false 0 " + 16 * MIB + " " + 3 * MIB, ""),
                probeAfterPrepare(path, feature >= 24 ? List.of("--illegal-native-access=deny") : List.of()));
    }

    /** @return what {@link PreparedHolesProbe} printed on its standard output and on its standard error */
    private List<String> probeAfterPrepare(Path sparse, List<String> jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), PreparedHolesProbe.class.getName(),
                sparse.toString()));
        Path err = dir.resolve("probe.err");
        Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the probe did not finish");
        }
        assertEquals(0, process.exitValue(), out + Files.readString(err));
        return List.of(out.strip(), Files.readString(err).strip());
    }

    @Test
    void write_zeroes_that_may_unmap_punches_a_hole_that_reads_zeros() throws Exception {
        Path path = dir.resolve("full.img");
        Files.write(path, filled((int) (8 * MIB), 5));
        try (LocalBlockFile file = LocalBlockFile.open(path, false)) {
            file.flush();
            long before = LocalBlockFileTest.allocatedBytes(path);
            file.writeZeroes(2 * MIB, 4 * MIB, true);
            file.discard(7 * MIB, MIB);
            file.flush();
            ByteBuffer back = ByteBuffer.allocate((int) (4 * MIB));
            file.readFully(back, 2 * MIB);
            assertArrayEquals(new byte[(int) (4 * MIB)], back.array());
            ByteBuffer kept = ByteBuffer.allocate((int) MIB);
            file.readFully(kept, MIB);
            assertArrayEquals(filled((int) MIB, 5), kept.array());
            assertEquals(8 * MIB, file.size());
            long after = LocalBlockFileTest.allocatedBytes(path);
            if (holesExpected()) {
                assertTrue(file.capabilities().containsAll(
                        Set.of(BlockFile.Capability.DISCARD, BlockFile.Capability.WRITE_ZEROES)));
                assertTrue(after <= before - 5 * MIB, "allocated " + before + " -> " + after);
                assertEquals(6 * MIB, file.seekData(2 * MIB));
            } else {
                assertEquals(before, after, "JDK 17 writes zeros and punches nothing");
                assertEquals(2 * MIB, file.seekData(2 * MIB));
            }
        }
    }

    @Test
    void write_zeroes_that_may_not_unmap_reads_zeros_and_keeps_the_space() throws Exception {
        Path path = dir.resolve("kept.img");
        Files.write(path, filled((int) (4 * MIB), 6));
        try (LocalBlockFile file = LocalBlockFile.open(path, false)) {
            file.flush();
            long before = LocalBlockFileTest.allocatedBytes(path);
            file.writeZeroes(MIB, 2 * MIB, false);
            file.flush();
            ByteBuffer back = ByteBuffer.allocate((int) (2 * MIB));
            file.readFully(back, MIB);
            assertArrayEquals(new byte[(int) (2 * MIB)], back.array());
            ByteBuffer tail = ByteBuffer.allocate((int) MIB);
            file.readFully(tail, 3 * MIB);
            assertArrayEquals(filled((int) MIB, 6), tail.array());
            assertEquals(before, LocalBlockFileTest.allocatedBytes(path), "no hole without may-unmap");
            assertEquals(MIB, file.seekData(MIB));
            assertEquals(4 * MIB, file.seekHole(MIB));
        }
    }

    @Test
    void write_zeroes_past_the_end_grows_the_file_with_zeros() throws Exception {
        Path path = dir.resolve("short.img");
        Files.write(path, filled((int) MIB, 3));
        try (LocalBlockFile file = LocalBlockFile.open(path, false)) {
            file.writeZeroes(MIB / 2, 2 * MIB, true);
            assertEquals(MIB / 2 + 2 * MIB, file.size());
            ByteBuffer back = ByteBuffer.allocate((int) (2 * MIB));
            file.readFully(back, MIB / 2);
            assertArrayEquals(new byte[(int) (2 * MIB)], back.array());
            ByteBuffer head = ByteBuffer.allocate((int) (MIB / 2));
            file.readFully(head, 0);
            assertArrayEquals(filled((int) (MIB / 2), 3), head.array());
        }
    }

    /** The data run one seek found answers the next ones only until the file changes. */
    @Test
    void seeks_see_writes_punches_and_truncates_made_after_an_earlier_seek() throws Exception {
        Path path = sparseFile();
        try (LocalBlockFile file = LocalBlockFile.open(path, false)) {
            if (!holesExpected()) {
                assertEquals(16 * MIB, file.seekHole(MIB));
                file.write(ByteBuffer.wrap(filled((int) MIB, 5)), 2 * MIB);
                assertEquals(16 * MIB, file.seekHole(MIB + 4096), "JDK 17: no holes, before or after");
                return;
            }
            assertEquals(2 * MIB, file.seekHole(MIB));
            assertEquals(2 * MIB, file.seekHole(MIB + 4096), "inside the run just seen");
            assertEquals(MIB + 8192, file.seekData(MIB + 8192));
            file.write(ByteBuffer.wrap(filled((int) MIB, 5)), 2 * MIB);
            assertEquals(3 * MIB, file.seekHole(MIB + 4096), "the run grew by the write");
            file.writeZeroes(MIB + 512 * 1024, 256 * 1024, true);
            assertEquals(MIB + 512 * 1024, file.seekHole(MIB + 4096), "a hole punched into the run");
            file.truncate(MIB + 256 * 1024);
            assertEquals(MIB + 256 * 1024, file.seekHole(MIB + 4096), "the file ends sooner");
        }
    }

    /**
     * Seeks racing a close: each answer is the file's own (what it answered before the race) or
     * "closed", never one from a descriptor closed under the seek or since given to another file
     * (the files opened right after the close are all data, so their answers differ).
     */
    @Test
    void a_seek_racing_close_answers_for_its_own_file_or_says_closed() throws Exception {
        Path sparse = sparseFile();
        Path full = dir.resolve("full.img");
        Files.write(full, filled((int) (16 * MIB), 3));
        long expectedHole;
        long expectedData;
        try (LocalBlockFile file = LocalBlockFile.open(sparse, true)) {
            expectedHole = file.seekHole(MIB);
            expectedData = file.seekData(0);
        }
        java.util.List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int round = 0; round < 200 && wrong.isEmpty(); round++) {
            LocalBlockFile file = LocalBlockFile.open(sparse, true);
            java.util.concurrent.CountDownLatch seeking = new java.util.concurrent.CountDownLatch(2);
            java.util.List<Thread> seekers = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Thread seeker = new Thread(() -> {
                    try {
                        for (int i = 0; i < 1_000_000; i++) {
                            long hole = file.seekHole(MIB);
                            long data = file.seekData(0);
                            if (hole != expectedHole || data != expectedData) {
                                wrong.add("seekHole " + hole + ", seekData " + data);
                            }
                            seeking.countDown();
                        }
                        wrong.add("the seeks never saw the close");
                    } catch (org.jblock.api.ImageClosedException e) {
                        // the close won: the one other answer allowed
                    } catch (IOException | RuntimeException e) {
                        wrong.add(e.toString());
                    }
                });
                seeker.start();
                seekers.add(seeker);
            }
            assertTrue(seeking.await(30, java.util.concurrent.TimeUnit.SECONDS), "the seekers started");
            java.util.List<LocalBlockFile> others = new java.util.ArrayList<>();
            try {
                file.close();
                // take the closed descriptors' numbers at once
                for (int i = 0; i < 3; i++) {
                    others.add(LocalBlockFile.open(full, true));
                }
                for (Thread seeker : seekers) {
                    seeker.join(30_000);
                    assertFalse(seeker.isAlive(), "a seeker still runs");
                }
            } finally {
                for (LocalBlockFile other : others) {
                    other.close();
                }
            }
        }
        assertEquals(java.util.List.of(), wrong);
    }
}
