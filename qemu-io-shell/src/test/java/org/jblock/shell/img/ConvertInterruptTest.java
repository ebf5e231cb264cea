package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A convert stopped by a signal (Ctrl-C, kill) removes the destination it created. */
class ConvertInterruptTest {
    @TempDir
    Path dir;

    @Test
    void anInterruptedConvertRemovesItsDestination() throws Exception {
        Path source = dir.resolve("slow.img");
        Img.run("create", "-q", "-f", "testimg", "-o", "read_delay_ms=250", source.toString(), "32M").assertSuccess();
        try (BlockImage image = Img.registry().open(source, new OpenSpec("testimg", false, false, ""))) {
            byte[] data = new byte[32 << 20];
            java.util.Arrays.fill(data, (byte) 1);
            image.write(0, ByteBuffer.wrap(data));
        }
        Path destination = dir.resolve("out.raw");
        Process convert = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ImgMain.class.getName(),
                "convert", "-m", "1", "-f", "testimg", source.toString(), destination.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(destination) && convert.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(destination), "the convert created its destination: " + Files.readString(dir.resolve("log")));
            Thread.sleep(300);
            assertTrue(convert.isAlive(), "still copying (16 reads of 250 ms)");
            convert.destroy(); // SIGTERM: the JVM runs its shutdown hooks, as on Ctrl-C
            assertTrue(convert.waitFor(30, TimeUnit.SECONDS), "the convert stops");
            assertNotEquals(0, convert.exitValue());
            assertFalse(Files.exists(destination), "the unfinished destination is removed");
        } finally {
            convert.destroyForcibly();
        }
    }
}
