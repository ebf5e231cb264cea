package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An image that another process writes is refused with one line, and left as it is. */
class LockedImageTest {
    @TempDir
    Path dir;

    @Test
    void anImageWrittenByAnotherProcessIsRefused() throws Exception {
        // A VHD: a format with metadata, which QEMU's locks keep other writers and readers out of.
        Path image = dir.resolve("busy.vhd");
        Img.run("create", "-q", "-f", "vpc", image.toString(), "1M").assertSuccess();
        long size = Files.size(image);
        Path other = dir.resolve("other.raw");
        Files.write(other, new byte[1 << 20]);
        // Another jblock-img process keeps the image open for writing: a long write benchmark.
        Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ImgMain.class.getName(),
                "bench", "-w", "-d", "1", "-s", "512", "-c", "100000000", "-f", "vpc", image.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(dir.resolve("log")).contains("Sending") && writer.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(writer.isAlive(), "the writer runs: " + Files.readString(dir.resolve("log")));
            byte[] before = Files.readAllBytes(other);

            String lock = "Failed to get \"write\" lock";
            Img.run("convert", "-n", "-O", "vpc", other.toString(), image.toString()).assertLockError(lock, image.toString());
            Img.run("create", "-f", "raw", image.toString(), "4k").assertLockError(lock, image.toString());
            Img.run("resize", "-f", "vpc", image.toString(), "2M").assertLockError(lock, image.toString());
            Img.run("info", "-f", "vpc", image.toString())
                    .assertLockError("Failed to get shared \"write\" lock", image.toString());
            assertTrue(Files.size(image) >= size, "the image in use is not emptied");
            // A reader that lets writers in (-U) may look.
            Img.run("info", "-U", "-f", "vpc", image.toString()).assertSuccess();
            assertArrayEquals(before, Files.readAllBytes(other), "the source is untouched");
        } finally {
            writer.destroyForcibly();
            writer.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
