package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jblock.tests.interop.RealTools;
import org.jblock.tests.interop.RealTools.Tool;
import org.jblock.tests.launcher.ToolProcess.Run;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's image locking between real processes: every pair of jblock-io, jblock-img, qemu-io and
 * qemu-img, reading or writing, with or without {@code -U}. While a holder keeps the image open
 * (an interactive {@code jblock-io} or {@code qemu-io}), each contender tries to open it; jblock's
 * tools must get exactly what QEMU's get in the same place: the same success, or the same error
 * (only the program name differs). The NBD servers hold images too: jblock-nbd, writable and
 * read-only, holds the bytes qemu-nbd holds, and the tools meet either the same way.
 */
class LockMatrixTest {
    private static final long WAIT_SECONDS = 120;
    private static Path repo;

    @TempDir
    Path folder;

    @BeforeAll
    static void needTheLaunchersAndQemu() throws IOException {
        repo = ToolProcess.repoWithBuiltLaunchers();
        RealTools.require(Tool.QEMU_IO, Tool.QEMU_IMG);
    }

    /** How an interactive holder opens the image. */
    private enum Hold {
        READ("-r"), WRITE(), READ_FORCE_SHARE("-r", "-U");

        final List<String> flags;

        Hold(String... flags) {
            this.flags = List.of(flags);
        }
    }

    /** A one-shot contender: its jblock and its QEMU command line, image last. */
    private record Contender(String label, List<String> jblock, List<String> qemu) {
        static Contender of(String label, String tool, String... arguments) {
            List<String> j = new ArrayList<>(List.of(arguments));
            List<String> q = new ArrayList<>(j);
            j.add(0, "jblock-" + tool);
            q.add(0, "qemu-" + tool);
            return new Contender(label, j, q);
        }
    }

    /** Reading and writing with qemu-io's and qemu-img's flags, with and without -U. */
    private static List<Contender> contenders(String format) {
        return List.of(
                Contender.of("io -r", "io", "-r", "-f", format, "-c", "read 0 512"),
                Contender.of("io", "io", "-f", format, "-c", "read 0 512"),
                Contender.of("io -r -U", "io", "-r", "-U", "-f", format, "-c", "read 0 512"),
                Contender.of("img info", "img", "info", "-f", format),
                Contender.of("img info -U", "img", "info", "-U", "-f", format));
    }

    private List<String> command(List<String> words, Path image) {
        List<String> command = new ArrayList<>();
        String tool = words.get(0);
        command.add(tool.startsWith("jblock") ? repo.resolve("bin").resolve(tool).toString()
                : RealTools.locate(switch (tool) {
                    case "qemu-io" -> Tool.QEMU_IO;
                    case "qemu-nbd" -> Tool.QEMU_NBD;
                    default -> Tool.QEMU_IMG;
                }).orElseThrow());
        command.addAll(words.subList(1, words.size()));
        command.add(image.toString());
        return command;
    }

    /** An interactive holder: the image stays open until its stdin closes. */
    private final class Holder implements AutoCloseable {
        final Process process;

        Holder(String tool, Hold hold, String format, Path image) throws IOException, InterruptedException {
            List<String> words = new ArrayList<>();
            words.add(tool);
            words.addAll(hold.flags);
            words.addAll(List.of("-f", format));
            ProcessBuilder builder = new ProcessBuilder(command(words, image)).directory(folder.toFile())
                    .redirectErrorStream(true);
            builder.environment().put("JBLOCK_NO_BUILD", "1");
            process = builder.start();
            OutputStream in = process.getOutputStream();
            in.write("length\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            awaitOpen(tool + " " + hold);
        }

        /** Waits for the answer to {@code length}: the image is open and locked by then. */
        private void awaitOpen(String what) throws IOException, InterruptedException {
            InputStream out = process.getInputStream();
            StringBuilder seen = new StringBuilder();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (!seen.toString().contains("MiB") && System.nanoTime() < deadline) {
                if (out.available() > 0) {
                    seen.append((char) out.read());
                } else if (!process.isAlive()) {
                    break;
                } else {
                    Thread.sleep(10);
                }
            }
            assertTrue(seen.toString().contains("MiB"), what + " did not open the image: " + seen);
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the holder did not end when its input closed");
            }
        }
    }

    /** How a server exports the image: writable, or read-only ({@code -r}). */
    private enum Serve {
        WRITABLE(), READ_ONLY("-r");

        final List<String> flags;

        Serve(String... flags) {
            this.flags = List.of(flags);
        }
    }

    /** A server (qemu-nbd or jblock-nbd) exporting the image on a Unix socket until it is stopped. */
    private final class Server implements AutoCloseable {
        final Process process;
        final Path log;

        Server(String tool, Serve serve, String format, Path image) throws IOException, InterruptedException {
            Path socket = folder.resolve(tool + ".sock");
            Files.deleteIfExists(socket);
            log = folder.resolve(tool + ".log");
            List<String> words = new ArrayList<>(List.of(tool, "-t", "-k", socket.toString(), "-f", format));
            words.addAll(serve.flags);
            ProcessBuilder builder = new ProcessBuilder(command(words, image)).directory(folder.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().put("JBLOCK_NO_BUILD", "1");
            process = builder.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (!Files.exists(socket) && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (!Files.exists(socket) || !greets(socket, deadline)) {
                process.destroyForcibly();
                throw new AssertionError(tool + " " + serve + " did not listen: " + Files.readString(log));
            }
        }

        /**
         * Whether the server sends its NBD greeting on a connection of its own before the deadline.
         * A server greets from its main loop, once the image is open and locked, while its socket may
         * be bound before (qemu-nbd, seen holding no lock yet once its socket was there).
         */
        private boolean greets(Path socket, long deadline) throws IOException, InterruptedException {
            while (System.nanoTime() < deadline && process.isAlive()) {
                try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                     Selector selector = Selector.open()) {
                    channel.configureBlocking(false);
                    channel.register(selector, SelectionKey.OP_READ);
                    ByteBuffer greeting = ByteBuffer.allocate(8);
                    while (greeting.hasRemaining()) {
                        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (left <= 0 || channel.read(greeting) < 0) {
                            return false;
                        }
                        selector.select(left);
                        selector.selectedKeys().clear();
                    }
                    return new String(greeting.array(), StandardCharsets.US_ASCII).equals("NBDMAGIC");
                } catch (java.net.ConnectException e) {
                    Thread.sleep(20); // bound, not yet listening
                }
            }
            return false;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the server did not end on SIGTERM: " + Files.readString(log));
            }
        }
    }

    /**
     * @return the bytes of QEMU's lock range (100 + permission, 200 + permission) another process
     *         holds on {@code image}: an exclusive lock on them is refused
     */
    private static List<Long> heldBytes(Path image) throws IOException {
        List<Long> held = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long at : new long[] {100, 101, 102, 103, 104, 200, 201, 202, 203, 204}) {
                FileLock lock = channel.tryLock(at, 1, false);
                if (lock == null) {
                    held.add(at);
                } else {
                    lock.release();
                }
            }
        }
        return held;
    }

    /**
     * qemu-nbd and jblock-nbd as holders, writable and read-only: jblock-nbd holds exactly QEMU's
     * bytes, and each of jblock's and QEMU's tools gets, against either server, what QEMU's tool gets
     * against qemu-nbd.
     */
    @Test
    void jblock_nbd_holds_the_image_exactly_as_qemu_nbd_does() throws Exception {
        RealTools.require(Tool.QEMU_NBD);
        Path raw = folder.resolve("served.img");
        Files.write(raw, new byte[1 << 20]);
        Path vhd = folder.resolve("served.vhd");
        RealTools.run(Tool.QEMU_IMG, "create", "-q", "-f", "vpc", vhd.toString(), "1M").assertSucceeded();
        List<String> differences = new ArrayList<>();
        int compared = 0;
        for (String format : List.of("raw", "vpc")) {
            Path image = format.equals("raw") ? raw : vhd;
            for (Serve serve : Serve.values()) {
                List<Long> qemuBytes;
                List<String> expected = new ArrayList<>();
                try (Server qemu = new Server("qemu-nbd", serve, format, image)) {
                    qemuBytes = heldBytes(image);
                    for (Contender contender : contenders(format)) {
                        expected.add(outcome(contend(contender.qemu(), image)));
                    }
                }
                if (format.equals("vpc") && serve == Serve.WRITABLE) {
                    assertEquals(List.of(100L, 101L, 103L, 201L, 203L), qemuBytes, "qemu-nbd -t holds a vpc image");
                }
                try (Server jblock = new Server("jblock-nbd", serve, format, image)) {
                    List<Long> jblockBytes = heldBytes(image);
                    if (!jblockBytes.equals(qemuBytes)) {
                        differences.add(format + ": jblock-nbd " + serve + " holds " + jblockBytes + ", qemu-nbd "
                                + qemuBytes);
                    }
                    for (int i = 0; i < contenders(format).size(); i++) {
                        Contender contender = contenders(format).get(i);
                        for (List<String> words : List.of(contender.jblock(), contender.qemu())) {
                            String actual = outcome(contend(words, image));
                            compared++;
                            if (!actual.equals(expected.get(i))) {
                                differences.add(format + ": jblock-nbd " + serve + " serves, " + words.get(0) + " "
                                        + contender.label() + ": expected [" + expected.get(i) + "] but got [" + actual
                                        + "]");
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), differences, "of " + compared + " pairs");
        assertEquals(2 * Serve.values().length * contenders("raw").size() * 2, compared);
    }

    private Run contend(List<String> words, Path image) {
        return ToolProcess.of(command(words, image), folder, Map.of("JBLOCK_NO_BUILD", "1"), "").run();
    }

    /** What a run means for the matrix: success, or its error with the program name taken out. */
    private static String outcome(Run run) {
        if (run.status() == 0) {
            return "opened";
        }
        return "exit " + run.status() + ": " + run.err().replaceAll("(?m)^(jblock|qemu)-(io|img): ", "")
                .replaceAll("can't open device [^:]*: ", "can't open device: ").strip();
    }

    /**
     * QEMU's locks depend on the format: a format with metadata (vpc) keeps other writers out, raw
     * shares writing; both are covered.
     */
    @Test
    void jblock_and_qemu_tools_lock_each_other_out_exactly_as_qemu_s_tools_do() throws Exception {
        Path raw = folder.resolve("shared.img");
        Files.write(raw, new byte[1 << 20]);
        Path vhd = folder.resolve("shared.vhd");
        RealTools.run(Tool.QEMU_IMG, "create", "-q", "-f", "vpc", vhd.toString(), "1M").assertSucceeded();
        List<String> differences = new ArrayList<>();
        int compared = 0;
        for (String format : List.of("raw", "vpc")) {
            Path image = format.equals("raw") ? raw : vhd;
            for (Hold hold : Hold.values()) {
                for (Contender contender : contenders(format)) {
                    String expected;
                    try (Holder qemu = new Holder("qemu-io", hold, format, image)) {
                        expected = outcome(contend(contender.qemu(), image));
                    }
                    for (String holderTool : List.of("qemu-io", "jblock-io")) {
                        try (Holder holder = new Holder(holderTool, hold, format, image)) {
                            for (List<String> words : List.of(contender.jblock(), contender.qemu())) {
                                if (holderTool.equals("qemu-io") && words == contender.qemu()) {
                                    continue;
                                }
                                String actual = outcome(contend(words, image));
                                compared++;
                                if (!actual.equals(expected)) {
                                    differences.add(format + ": " + holderTool + " " + hold + " holds, " + words.get(0)
                                            + " " + contender.label() + ": expected [" + expected + "] but got ["
                                            + actual + "]");
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), differences, "of " + compared + " pairs");
        assertEquals(2 * Hold.values().length * contenders("raw").size() * 3, compared);
    }
}
