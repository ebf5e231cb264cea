package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's class-archive run does real work with both tools, every command succeeding. */
class ClassArchiveTrainingTest {
    @Test
    void everyCommandSucceedsAndTheConvertsRoundTrip(@TempDir Path dir) throws IOException {
        ClassArchiveTraining.run(dir);

        byte[] source = Files.readAllBytes(dir.resolve("a.raw"));
        assertEquals(8 << 20, source.length);
        assertEquals(0x5a, source[0], "jblock-io wrote the pattern");
        byte[] copy = Files.readAllBytes(dir.resolve("c.raw"));
        // The VHD rounds the size up to its geometry (CHS), as qemu-img does: the rest reads as zeros.
        assertTrue(copy.length >= source.length, "the copy is at least as large: " + copy.length);
        assertArrayEquals(source, Arrays.copyOf(copy, source.length), "raw -> vpc -> raw is the same");
        assertArrayEquals(new byte[copy.length - source.length], Arrays.copyOfRange(copy, source.length, copy.length));
        assertTrue(Files.size(dir.resolve("b.vhd")) > 512, "a VHD was written");
        // Converted from jblock's own NBD server's export of the VHD's bytes (the compare after it passed).
        assertTrue(Files.size(dir.resolve("d.vhd")) > 512, "a VHD was converted from the NBD export");
    }
}
