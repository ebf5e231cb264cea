package org.jblock.protocol.file;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockFile.LockMode;
import org.jblock.api.ImageLockedException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locks through {@link LocalBlockFile#lock}, seen from this process and from another. */
// Images and files held open only for their locks are resources the try blocks never touch.
@SuppressWarnings("try")
class FileLocksTest {
    @TempDir
    Path dir;
    Path image;

    @BeforeEach
    void makeImage() throws IOException {
        image = dir.resolve("locked.img");
        Files.write(image, new byte[4096]);
    }

    private LocalBlockFile openLocked(LockMode mode) throws IOException {
        boolean writes = mode == LockMode.EXCLUSIVE || mode == LockMode.WRITE_SHARE_ALL
                || mode == LockMode.WRITE_SHARE_ALL_FIXED_SIZE;
        LocalBlockFile file = LocalBlockFile.open(image, !writes);
        try {
            file.lock(mode);
            return file;
        } catch (IOException e) {
            file.close();
            throw e;
        }
    }

    /** @return the exit code of a second JVM that tries to lock the image (see {@link OsLockProbe}) */
    private int otherProcessLocks(LockMode mode) throws Exception {
        return probe(mode.name()).exitValue();
    }

    /** @return the bytes of QEMU's protocol that this process holds, as another process sees them */
    private String heldBytes() throws Exception {
        Process process = probe("bytes");
        assertEquals(OsLockProbe.LOCKED, process.exitValue());
        return new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    }

    private Process probe(String what) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                OsLockProbe.class.getName(), image.toString(), what).redirectErrorStream(true).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the lock probe process did not finish");
        }
        return process;
    }

    @Test
    void each_mode_holds_the_bytes_qemu_s_tools_hold() throws Exception {
        try (LocalBlockFile reader = openLocked(LockMode.SHARED)) {
            assertEquals("[100, 201, 203]", heldBytes(), "qemu-io -r");
        }
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE)) {
            assertEquals("[100, 101, 103, 201, 203]", heldBytes(), "qemu-io");
        }
        try (LocalBlockFile forceShare = openLocked(LockMode.SHARE_ALL)) {
            assertEquals("[100]", heldBytes(), "qemu-io -r -U");
        }
        try (LocalBlockFile rawWriter = openLocked(LockMode.WRITE_SHARE_ALL)) {
            assertEquals("[100, 101]", heldBytes(), "qemu-io, raw");
        }
        try (LocalBlockFile rawExport = openLocked(LockMode.SHARE_ALL_FIXED_SIZE)) {
            assertEquals("[100, 203]", heldBytes(), "qemu-nbd -r, raw");
        }
        try (LocalBlockFile rawExport = openLocked(LockMode.WRITE_SHARE_ALL_FIXED_SIZE)) {
            assertEquals("[100, 101, 203]", heldBytes(), "qemu-nbd, raw");
        }
        assertEquals("[]", heldBytes(), "nothing after close");
    }

    @Test
    void force_share_reads_beside_a_writer_in_this_process_and_in_another() throws Exception {
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE); LocalBlockFile reader = openLocked(LockMode.SHARE_ALL)) {
            assertEquals(OsLockProbe.LOCKED, otherProcessLocks(LockMode.SHARE_ALL));
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.SHARED));
        }
    }

    @Test
    void a_refused_switch_keeps_the_lock_held_before() throws Exception {
        try (LocalBlockFile reader = openLocked(LockMode.SHARED); LocalBlockFile other = LocalBlockFile.open(image, false)) {
            other.lock(LockMode.SHARED);
            assertThrows(ImageLockedException.class, () -> other.lock(LockMode.EXCLUSIVE));
            reader.close();
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.EXCLUSIVE), "the switch gave the reader lock back");
        }
    }

    @Test
    void a_second_writer_gets_the_write_lock_error() throws Exception {
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE)) {
            ImageLockedException e = assertThrows(ImageLockedException.class, () -> openLocked(LockMode.EXCLUSIVE));
            assertEquals(image + ": Failed to get \"write\" lock\nIs another process using the image [" + image + "]?",
                    e.getMessage());
        }
    }

    @Test
    void readers_share_and_keep_a_writer_out() throws Exception {
        try (LocalBlockFile first = openLocked(LockMode.SHARED); LocalBlockFile second = openLocked(LockMode.SHARED)) {
            ImageLockedException e = assertThrows(ImageLockedException.class, () -> openLocked(LockMode.EXCLUSIVE));
            assertEquals(image + ": Failed to get \"write\" lock\nIs another process using the image [" + image + "]?",
                    e.getMessage());
        }
    }

    @Test
    void a_writer_keeps_readers_out() throws Exception {
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE)) {
            ImageLockedException e = assertThrows(ImageLockedException.class, () -> openLocked(LockMode.SHARED));
            assertEquals(image + ": Failed to get shared \"write\" lock\nIs another process using the image [" + image
                    + "]?", e.getMessage());
        }
    }

    @Test
    void closing_gives_the_lock_back() throws Exception {
        openLocked(LockMode.EXCLUSIVE).close();
        assertDoesNotThrow(() -> openLocked(LockMode.SHARED).close());
        assertDoesNotThrow(() -> openLocked(LockMode.EXCLUSIVE).close());
    }

    @Test
    void asking_again_for_the_held_mode_is_harmless_and_a_sole_holder_may_switch() throws Exception {
        try (LocalBlockFile file = LocalBlockFile.open(image, false)) {
            file.lock(LockMode.SHARED);
            file.lock(LockMode.SHARED);
            assertDoesNotThrow(() -> openLocked(LockMode.SHARED).close());

            file.lock(LockMode.EXCLUSIVE);
            assertThrows(ImageLockedException.class, () -> openLocked(LockMode.SHARED));
        }
    }

    @Test
    void another_process_sees_a_writer_lock() throws Exception {
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE)) {
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.EXCLUSIVE));
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.SHARED));
        }
        assertEquals(OsLockProbe.LOCKED, otherProcessLocks(LockMode.EXCLUSIVE));
    }

    @Test
    void another_process_may_read_beside_a_reader_but_not_write() throws Exception {
        try (LocalBlockFile reader = openLocked(LockMode.SHARED)) {
            assertEquals(OsLockProbe.LOCKED, otherProcessLocks(LockMode.SHARED));
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.EXCLUSIVE));
        }
    }

    /**
     * POSIX drops every lock of a process on a file when any descriptor of that file closes: a
     * refused second open, or an unlocked handle, must not unlock the file for other processes.
     */
    @Test
    void closing_other_handles_of_a_locked_file_keeps_the_lock_for_other_processes() throws Exception {
        try (LocalBlockFile writer = openLocked(LockMode.EXCLUSIVE)) {
            assertThrows(ImageLockedException.class, () -> openLocked(LockMode.EXCLUSIVE));
            LocalBlockFile.open(image, true).close();

            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.SHARED));
        }
        assertEquals(OsLockProbe.LOCKED, otherProcessLocks(LockMode.EXCLUSIVE));
    }

    @Test
    void the_lock_lasts_while_any_reader_of_this_process_holds_it() throws Exception {
        LocalBlockFile first = openLocked(LockMode.SHARED);
        try (LocalBlockFile second = openLocked(LockMode.SHARED)) {
            first.close();
            assertEquals(OsLockProbe.REFUSED, otherProcessLocks(LockMode.EXCLUSIVE));
            assertThrows(ImageLockedException.class, () -> openLocked(LockMode.EXCLUSIVE));
        }
        assertEquals(OsLockProbe.LOCKED, otherProcessLocks(LockMode.EXCLUSIVE));
    }
}
