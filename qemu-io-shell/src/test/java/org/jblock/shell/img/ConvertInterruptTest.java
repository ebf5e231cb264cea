package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A long command stopped by a signal (Ctrl-C, kill) exits with 130 and leaves no partial output:
 * a convert removes the destination it created, the others print no result.
 */
class ConvertInterruptTest {
    @TempDir
    Path dir;

    private Process terminal;

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
     * Ctrl-C typed on a terminal while {@code convert -p} draws its bar (or {@code -q}, no bar): the JVM's signal handling
     * stays in place (JLine's terminal must not take SIGINT over), so the shutdown hook removes the
     * destination and the exit status is 130, as for any program ended by SIGINT. The terminal is
     * a pseudo-terminal made by {@code script}, and Ctrl-C the byte 0x03 typed into it.
     */
    @ParameterizedTest(name = "convert {0}")
    @ValueSource(strings = {"-p", "-q"})
    void ctrlCOnATerminalDuringConvertRemovesTheDestinationAndExits130(String progress) throws Exception {
        Path source = slowSource();
        Path destination = dir.resolve("out.raw");
        String output = ctrlCOnATerminal(() -> Files.exists(destination), "the convert created its destination",
                "convert", progress, "-m", "1", "-f", "testimg", source.toString(), destination.toString());
        assertFalse(Files.exists(destination), "the unfinished destination is removed: " + output);
    }

    /**
     * Ctrl-C typed on a terminal during the other long commands, with and without their progress
     * (compare has {@code -p}; check and bench draw a bar on a terminal unless {@code -q}): each
     * exits with 130, prints no result and changes nothing. The command is under way once its JVM
     * has the slow image open (which takes seconds to read, 250 ms a read).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compare -p", "compare", "check", "check -q", "bench", "bench -q"})
    void ctrlCOnATerminalDuringALongCommandPrintsNoResultAndExits130(String command) throws Exception {
        Path source = slowSource();
        byte[] before = Files.readAllBytes(source);
        List<String> arguments = new ArrayList<>(List.of(command.split(" ")));
        String result;
        switch (arguments.get(0)) {
            case "compare" -> {
                Path copy = dir.resolve("copy.raw");
                Files.write(copy, Arrays.copyOfRange(before, TestDriver.HEADER, before.length));
                arguments.addAll(List.of("-f", "testimg", "-F", "raw", source.toString(), copy.toString()));
                result = "Images are identical";
            }
            case "check" -> {
                arguments.addAll(List.of("-f", "testimg", source.toString()));
                result = "No errors were found";
            }
            default -> {
                arguments.addAll(List.of("-f", "testimg", "-c", "64", "-d", "1", "-s", "65536", source.toString()));
                result = "Run completed";
            }
        }
        String output = ctrlCOnATerminal(() -> opened(source), "the command opened its image",
                arguments.toArray(String[]::new));
        assertFalse(output.contains(result), "no result is printed: " + output);
        assertArrayEquals(before, Files.readAllBytes(source), "the image is unchanged");
    }

    /**
     * Runs jblock-img with {@code arguments} on a pseudo-terminal, types Ctrl-C once {@code underWay}
     * holds (and the command still runs), and returns what the terminal showed, after checking that
     * the command ended with 130.
     */
    private String ctrlCOnATerminal(Check underWay, String underWayText, String... arguments) throws Exception {
        boolean haveScript = Files.isExecutable(Path.of("/usr/bin/script")) || Files.isExecutable(Path.of("/bin/script"));
        if (!haveScript) {
            assertFalse("true".equalsIgnoreCase(System.getenv("CI")), "script (bsdutils) is required when CI=true");
            Assumptions.abort("script not found: install bsdutils");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> words = new ArrayList<>(List.of(quoted(java), "-cp", quoted(System.getProperty("java.class.path")),
                ImgMain.class.getName()));
        for (String argument : arguments) {
            words.add(quoted(argument));
        }
        terminal = new ProcessBuilder("script", "-qec", String.join(" ", words), "/dev/null")
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!underWay.holds() && terminal.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(underWay.holds(), underWayText + ": " + log());
            assertTrue(terminal.isAlive(), "still running (its slow image takes seconds): " + log());
            terminal.getOutputStream().write(3); // Ctrl-C
            terminal.getOutputStream().flush();
            assertTrue(terminal.waitFor(30, TimeUnit.SECONDS), "the command stops");
            assertEquals(130, terminal.exitValue(), () -> "exit status; output: " + log());
            return log();
        } finally {
            terminal.descendants().forEach(ProcessHandle::destroyForcibly);
            terminal.destroyForcibly();
        }
    }

    /** What shows that a command is under way. */
    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    /** Whether a process under the terminal has {@code file} open (by its descriptors in /proc). */
    private boolean opened(Path file) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "no /proc/PID/fd on this system");
        Path real = file.toRealPath();
        for (ProcessHandle process : terminal.descendants().toList()) {
            try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(Path.of("/proc", process.pid() + "", "fd"))) {
                for (Path descriptor : descriptors) {
                    try {
                        if (Files.readSymbolicLink(descriptor).equals(real)) {
                            return true;
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // the process ended meanwhile
            }
        }
        return false;
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
