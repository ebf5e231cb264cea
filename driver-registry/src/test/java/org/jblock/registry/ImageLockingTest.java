package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageLockedException;
import org.jblock.api.InvalidOptionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image locks taken by {@link DriverRegistry#open(Path, OpenSpec)}, in this process and across processes. */
// Images and files held open only for their locks are resources the try blocks never touch.
@SuppressWarnings("try")
class ImageLockingTest {
    /** A format with metadata (the test-only "magic"), locked as QEMU locks every format but raw. */
    private final DriverRegistry registry = LockedOpenMain.registry();

    @TempDir
    Path dir;
    Path image;
    byte[] content;

    @BeforeEach
    void makeImage() throws IOException {
        image = dir.resolve("disk.img");
        content = DriverRegistryTestData.random(64 * 1024, 21);
        System.arraycopy(new TestDrivers.Magic().header('\0'), 0, content, 0, 512);
        Files.write(image, content);
    }

    private String writeLockMessage() {
        return image + ": Failed to get \"write\" lock\nIs another process using the image [" + image + "]?";
    }

    /** @return the exit code of a second JVM that opens the image through the registry (see {@link LockedOpenMain}) */
    private int otherProcessOpens(String mode) throws Exception {
        return otherProcessOpens(image, mode);
    }

    private int otherProcessOpens(Path file, String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockedOpenMain.class.getName(), file.toString(), mode).redirectErrorStream(true).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the second process did not finish");
        }
        return process.exitValue();
    }

    @Test
    void a_second_writer_in_this_process_gets_the_write_lock_error() throws Exception {
        try (BlockImage writer = registry.open(image, OpenSpec.readWrite())) {
            ImageLockedException e = assertThrows(ImageLockedException.class,
                    () -> registry.open(image, OpenSpec.readWrite()));
            assertEquals(writeLockMessage(), e.getMessage());
            ImageLockedException reader = assertThrows(ImageLockedException.class,
                    () -> registry.open(image, OpenSpec.readOnlySpec()));
            assertEquals(image + ": Failed to get shared \"write\" lock\nIs another process using the image ["
                    + image + "]?", reader.getMessage());
        }
    }

    @Test
    void readers_share_the_image_and_keep_writers_out() throws Exception {
        try (BlockImage first = registry.open(image, OpenSpec.readOnlySpec());
             BlockImage second = registry.open(image, OpenSpec.readOnlySpec())) {
            assertEquals(first.size(), second.size());
            ImageLockedException e = assertThrows(ImageLockedException.class,
                    () -> registry.open(image, OpenSpec.readWrite()));
            assertEquals(writeLockMessage(), e.getMessage());
        }
        registry.open(image, OpenSpec.readWrite()).close();
    }

    @Test
    void force_share_reads_beside_a_writer_and_is_refused_for_writing() throws Exception {
        try (BlockImage writer = registry.open(image, OpenSpec.readWrite())) {
            writer.write(0, ByteBuffer.wrap(new byte[] {42}));
            writer.flush();
            try (BlockImage reader = registry.open(image, OpenSpec.readOnlySpec().withForceShare(true))) {
                ByteBuffer first = ByteBuffer.allocate(1);
                reader.read(0, first);
                assertEquals(42, first.get(0));
            }
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> registry.open(image, OpenSpec.readWrite().withForceShare(true)));
            assertEquals("force-share=on can only be used with read-only images", e.getMessage());
        }
    }

    @Test
    void creating_over_an_image_in_use_is_refused_and_changes_nothing() throws Exception {
        try (BlockImage reader = registry.open(image, OpenSpec.readOnlySpec())) {
            ImageLockedException e = assertThrows(ImageLockedException.class,
                    () -> registry.create(image, "raw", 512, ""));
            assertEquals(writeLockMessage(), e.getMessage());
        }
        assertArrayEquals(content, Files.readAllBytes(image));
    }

    @Test
    void another_process_cannot_open_an_image_this_one_writes() throws Exception {
        try (BlockImage writer = registry.open(image, OpenSpec.readWrite())) {
            assertEquals(LockedOpenMain.LOCKED, otherProcessOpens("rw"));
            assertEquals(LockedOpenMain.LOCKED, otherProcessOpens("ro"));
            assertEquals(LockedOpenMain.OPENED, otherProcessOpens("ro-force-share"));
        }
        assertEquals(LockedOpenMain.OPENED, otherProcessOpens("rw"));
    }

    @Test
    void another_process_may_read_but_not_write_beside_a_reader() throws Exception {
        try (BlockImage reader = registry.open(image, OpenSpec.readOnlySpec())) {
            assertEquals(LockedOpenMain.OPENED, otherProcessOpens("ro"));
            assertEquals(LockedOpenMain.LOCKED, otherProcessOpens("rw"));
        }
    }

    @Test
    void a_refused_writer_in_this_process_does_not_unlock_the_image_for_others() throws Exception {
        try (BlockImage writer = registry.open(image, OpenSpec.readWrite())) {
            assertThrows(ImageLockedException.class, () -> registry.open(image, OpenSpec.readWrite()));
            registry.open(image, OpenSpec.readOnlySpec().withForceShare(true)).close();

            assertEquals(LockedOpenMain.LOCKED, otherProcessOpens("ro"));
        }
    }

    @Test
    void raw_images_are_shared_by_writers_as_qemu_shares_them() throws Exception {
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, new byte[4096]);
        OpenSpec rawWriter = OpenSpec.readWrite().withFormat("raw");
        try (BlockImage first = registry.open(raw, rawWriter); BlockImage second = registry.open(raw, rawWriter);
             BlockImage reader = registry.open(raw, OpenSpec.readOnlySpec().withFormat("raw"))) {
            assertEquals(first.size(), second.size());
            assertEquals(LockedOpenMain.OPENED, otherProcessOpens(raw, "rw-raw"));
        }
    }
}
