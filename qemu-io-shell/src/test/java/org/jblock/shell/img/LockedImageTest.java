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
        Path image = dir.resolve("busy.raw");
        Files.write(image, new byte[1 << 20]);
        Path other = dir.resolve("other.raw");
        Files.write(other, new byte[1 << 20]);
        // Another jblock-img process keeps the image open for writing: a long write benchmark.
        Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ImgMain.class.getName(),
                "bench", "-w", "-d", "1", "-c", "100000000", "-f", "raw", image.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(dir.resolve("log")).contains("Sending") && writer.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(writer.isAlive(), "the writer runs: " + Files.readString(dir.resolve("log")));
            byte[] before = Files.readAllBytes(other);

            String locked = Img.run("convert", "-n", other.toString(), image.toString()).assertOneLineError(1).err();
            assertTrue(locked.contains("Failed to get \"write\" lock"), locked);
            Img.run("create", "-f", "raw", image.toString(), "4k").assertOneLineError(1);
            Img.run("resize", "-f", "raw", image.toString(), "2M").assertOneLineError(1);
            Img.run("info", "-f", "raw", image.toString()).assertOneLineError(1);
            assertTrue(Files.size(image) == 1 << 20, "the image in use keeps its size");
            // A reader that asks for no lock (-U) may look.
            Img.run("info", "-U", "-f", "raw", image.toString()).assertSuccess();
            assertArrayEquals(before, Files.readAllBytes(other), "the source is untouched");
        } finally {
            writer.destroyForcibly();
            writer.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
