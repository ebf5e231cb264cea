package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A convert stopped by a signal (Ctrl-C, kill) removes the destination it created. */
class ConvertInterruptTest {
    @TempDir
    Path dir;

    @Test
    void anInterruptedConvertRemovesItsDestination() throws Exception {
        Path source = slowSource();
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

    /**
     * Ctrl-C typed on a terminal while {@code convert -p} draws its bar: the JVM's signal handling
     * stays in place (JLine's terminal must not take SIGINT over), so the shutdown hook removes the
     * destination and the exit status is 130, as for any program ended by SIGINT. The terminal is
     * a pseudo-terminal made by {@code script}, and Ctrl-C the byte 0x03 typed into it.
     */
    @Test
    void ctrlCOnATerminalDuringConvertWithProgressRemovesTheDestinationAndExits130() throws Exception {
        boolean haveScript = Files.isExecutable(Path.of("/usr/bin/script")) || Files.isExecutable(Path.of("/bin/script"));
        if (!haveScript) {
            assertFalse("true".equalsIgnoreCase(System.getenv("CI")), "script (bsdutils) is required when CI=true");
            Assumptions.abort("script not found: install bsdutils");
        }
        Path source = slowSource();
        Path destination = dir.resolve("out.raw");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = String.join(" ", quoted(java), "-cp", quoted(System.getProperty("java.class.path")),
                ImgMain.class.getName(), "convert", "-p", "-m", "1", "-f", "testimg", quoted(source.toString()),
                quoted(destination.toString()));
        Process terminal = new ProcessBuilder("script", "-qec", command, "/dev/null")
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(destination) && terminal.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(destination), "the convert created its destination: " + Files.readString(dir.resolve("log")));
            Thread.sleep(300);
            assertTrue(terminal.isAlive(), "still copying (16 reads of 250 ms)");
            terminal.getOutputStream().write(3); // Ctrl-C
            terminal.getOutputStream().flush();
            assertTrue(terminal.waitFor(30, TimeUnit.SECONDS), "the convert stops");
            assertEquals(130, terminal.exitValue(), () -> "exit status; output: " + log());
            assertFalse(Files.exists(destination), "the unfinished destination is removed");
        } finally {
            terminal.descendants().forEach(ProcessHandle::destroyForcibly);
            terminal.destroyForcibly();
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** 32 MiB of data in the test format, each read taking 250 ms. */
    private Path slowSource() throws Exception {
        Path source = dir.resolve("slow.img");
        Img.run("create", "-q", "-f", "testimg", "-o", "read_delay_ms=250", source.toString(), "32M").assertSuccess();
        try (BlockImage image = Img.registry().open(source, new OpenSpec("testimg", false, false, ""))) {
            byte[] data = new byte[32 << 20];
            java.util.Arrays.fill(data, (byte) 1);
            image.write(0, ByteBuffer.wrap(data));
        }
        return source;
    }
}
