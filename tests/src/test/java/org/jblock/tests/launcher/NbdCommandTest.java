package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jblock.tests.interop.RealTools;
import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/jblock-nbd} as a user runs it, with qemu-nbd's behaviour: it serves until its last
 * client leaves (unless {@code -t}), {@code --fork} returns once it listens, SIGTERM, SIGINT and
 * SIGHUP stop it with status 0 and everything written in the image, and mistakes are one line and status 1.
 */
class NbdCommandTest {
    private static Path repo;

    @TempDir
    Path folder;

    @BeforeAll
    static void findTheBuiltLauncher() throws IOException {
        repo = ToolProcess.repoWithBuiltLaunchers();
    }

    @BeforeEach
    void requireTools() throws IOException {
        RealTools.require(Tool.QEMU_IMG, Tool.QEMU_IO, Tool.NBDCOPY);
        RealTools.run(Tool.QEMU_IMG, "create", "-q", "-f", "vpc", folder.resolve("disk.vhd").toString(), "64M")
                .assertSucceeded();
    }

    @Test
    void servesUntilItsLastClientLeaves() throws IOException {
        Path socket = folder.resolve("s.sock");
        ToolProcess.Started server = jblockNbd("-k", socket.toString(), "-x", "exp1", "disk.vhd").start();
        awaitSocket(socket, server);
        Result io = RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "write -P 0x5a 1M 2M", "-c", "read -P 0x5a 1M 2M",
                "nbd+unix:///exp1?socket=" + socket).assertSucceeded();
        assertFalse(io.stdout().contains("fail"), io::describe);
        ToolProcess.Run end = server.await();
        assertEquals(0, end.status(), end::all);
        assertEquals("", end.out() + end.err(), "a server prints nothing");
        assertFalse(Files.exists(socket), "the socket is removed");
        Result check = RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "read -P 0x5a 1M 2M",
                folder.resolve("disk.vhd").toString()).assertSucceeded();
        assertFalse(check.stdout().contains("Pattern verification failed"), check::describe);
    }

    @Test
    void imageOptsNameTheImageByQemusKeys() throws IOException {
        Path socket = folder.resolve("s.sock");
        ToolProcess.Started server = jblockNbd("--image-opts", "-k", socket.toString(),
                "driver=vpc,file.driver=file,file.filename=" + folder.resolve("disk.vhd")).start();
        awaitSocket(socket, server);
        RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "write -P 0x6b 3M 1M", "nbd+unix:///?socket=" + socket)
                .assertSucceeded();
        ToolProcess.Run end = server.await();
        assertEquals(0, end.status(), end::all);
        Result check = RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "read -P 0x6b 3M 1M",
                folder.resolve("disk.vhd").toString()).assertSucceeded();
        assertFalse(check.stdout().contains("Pattern verification failed"), check::describe);

        ToolProcess.Run both = jblockNbd("--image-opts", "-f", "vpc", "-k", socket.toString(),
                "driver=vpc,file.filename=disk.vhd").run();
        assertEquals(1, both.status(), both::all);
        assertEquals("jblock-nbd: --image-opts and -f are mutually exclusive\n", both.err(), both::all);
    }

    @Test
    void forkReturnsOnceListeningAndSigtermKeepsEveryWrite() throws Exception {
        Path socket = folder.resolve("s.sock");
        Path pidFile = folder.resolve("nbd.pid");
        ToolProcess.Run forked = jblockNbd("--fork", "--pid-file=" + pidFile, "-t", "-k", socket.toString(), "disk.vhd")
                .run();
        assertEquals(0, forked.status(), forked::all);
        assertTrue(Files.exists(socket), "listening when --fork returns");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Optional<ProcessHandle> server = ProcessHandle.of(pid);
        assertTrue(server.isPresent() && server.get().isAlive(), "the server runs in the background");
        try {
            Path source = folder.resolve("source.raw");
            byte[] data = new byte[8 << 20];
            new java.util.Random(3).nextBytes(data);
            Files.write(source, data);
            // No --flush: what the server acknowledged must reach the image when it is stopped.
            RealTools.run(Tool.NBDCOPY, source.toString(), "nbd+unix:///?socket=" + socket).assertSucceeded();
            Result second = RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "read 0 512", "nbd+unix:///?socket=" + socket);
            assertEquals(0, second.exitCode(), "-t: the server outlives its first client\n" + second.describe());
        } finally {
            server.get().destroy();
        }
        assertTrue(server.get().onExit().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS) != null);
        assertFalse(Files.exists(socket), "the socket is removed");
        Result compare = RealTools.run(Tool.QEMU_IMG, "compare", "-f", "raw", "-F", "vpc",
                folder.resolve("source.raw").toString(), folder.resolve("disk.vhd").toString());
        assertEquals(0, compare.exitCode(), compare::describe);
    }

    @Test
    void stopSignalsEndTheServerWithStatusZeroAndEveryWriteInTheImage() throws Exception {
        // qemu-nbd 7.2 ends with status 0 on SIGTERM, SIGINT and SIGHUP; the JVM's default is 128 + signal.
        Path socket = folder.resolve("s.sock");
        Path source = folder.resolve("source.raw");
        // SIGINT takes the same path, but a shell ignores it in the commands it starts in the background.
        for (String signal : List.of("TERM", "HUP")) {
            RealTools.run(Tool.QEMU_IMG, "create", "-q", "-f", "vpc", folder.resolve("disk.vhd").toString(), "64M")
                    .assertSucceeded();
            byte[] data = new byte[4 << 20];
            new java.util.Random(signal.hashCode()).nextBytes(data);
            Files.write(source, data);
            ToolProcess.Started server = jblockNbd("-t", "-k", socket.toString(), "disk.vhd").start();
            try {
                awaitSocket(socket, server);
                // No --flush: the stop must flush what the server acknowledged.
                RealTools.run(Tool.NBDCOPY, source.toString(), "nbd+unix:///?socket=" + socket).assertSucceeded();
                Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(server.process().pid()))
                        .inheritIO().start();
                assertEquals(0, kill.waitFor(), "kill -s " + signal);
            } finally {
                if (server.process().isAlive() && !server.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    server.process().destroyForcibly();
                }
            }
            ToolProcess.Run end = server.await();
            assertEquals(0, end.status(), "SIG" + signal + " is a clean stop\n" + end.all());
            assertEquals("", end.out() + end.err(), end::all);
            assertFalse(Files.exists(socket), "the socket is removed");
            Result compare = RealTools.run(Tool.QEMU_IMG, "compare", "-f", "raw", "-F", "vpc",
                    source.toString(), folder.resolve("disk.vhd").toString());
            assertEquals(0, compare.exitCode(), "SIG" + signal + ": " + compare.describe());
        }
    }

    @Test
    void jblockImgReadsAVhdThatJblockNbdServesRawAndListsLikeQemuNbd() throws IOException {
        RealTools.require(Tool.QEMU_NBD);
        RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "write -P 0x3c 2M 3M", folder.resolve("disk.vhd").toString())
                .assertSucceeded();
        Path socket = folder.resolve("s.sock");
        ToolProcess.Started server = jblockNbd("-t", "-r", "-e", "2", "-D", "a disk", "-f", "raw", "-k", socket.toString(),
                "disk.vhd").start();
        try {
            awaitSocket(socket, server);
            Result theirs = RealTools.run(Tool.QEMU_NBD, "-L", "-k", socket.toString()).assertSucceeded();
            ToolProcess.Run ours = jblockNbd("-L", "-k", socket.toString()).run();
            assertEquals(theirs.stdout(), ours.out(), "jblock-nbd -L prints what qemu-nbd -L prints\n" + ours.all());
            assertTrue(ours.out().contains("  description: a disk\n  size:  ")
                    && ours.out().contains("flags: 0x58f ( readonly flush fua df multi cache )"), ours::all);
            String uri = "nbd+unix:///?socket=" + socket;
            ToolProcess.Run info = tool("jblock-img", "info", uri).run();
            assertEquals(0, info.status(), info::all);
            assertTrue(info.out().contains("file format: vpc\n") && info.out().contains("disk size: unavailable\n"),
                    info::all);
            ToolProcess.Run convert = tool("jblock-img", "convert", "-O", "raw", uri, "copy.raw").run();
            assertEquals(0, convert.status(), convert::all);
        } finally {
            server.process().destroy();
            server.await();
        }
        Result compare = RealTools.run(Tool.QEMU_IMG, "compare", "-f", "vpc", "-F", "raw",
                folder.resolve("disk.vhd").toString(), folder.resolve("copy.raw").toString());
        assertEquals(0, compare.exitCode(), compare::describe);
    }

    @Test
    void verboseAsQemuNbdPrintsNothingMoreOnceAndTwiceLogsAClientThatLeft() throws IOException {
        for (String verbose : List.of("-v", "-vv")) {
            Path socket = folder.resolve("s" + verbose + ".sock");
            ToolProcess.Started server = jblockNbd(verbose, "-k", socket.toString(), "disk.vhd").start();
            awaitSocket(socket, server);
            // A client that hangs up during the handshake: the server goes on, and logs it at debug level.
            try (java.nio.channels.SocketChannel quitter = connect(socket)) {
                assertTrue(quitter.isConnected());
            }
            RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "read 0 64k", "nbd+unix:///?socket=" + socket)
                    .assertSucceeded();
            ToolProcess.Run end = server.await();
            assertEquals(0, end.status(), end::all);
            if (verbose.equals("-v")) {
                assertEquals("", end.out() + end.err(), "qemu-nbd -v prints nothing in server mode, nor does jblock-nbd -v");
            } else {
                // "client left: ..." or "connection ended: ... Broken pipe", by when the client hung up.
                assertTrue(end.err().startsWith("jblock-nbd: debug: c"), end::all);
                assertTrue(end.err().lines().allMatch(line -> line.startsWith("jblock-nbd: debug: ")), end::all);
                assertEquals("", end.out(), end::all);
            }
        }
    }

    @Test
    void cacheModesAreQemuNbds() throws IOException {
        Path socket = folder.resolve("s.sock");
        ToolProcess.Started server = jblockNbd("--cache=none", "-k", socket.toString(), "disk.vhd").start();
        awaitSocket(socket, server);
        RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "write -P 0x2e 1000 70k", "nbd+unix:///?socket=" + socket)
                .assertSucceeded();
        ToolProcess.Run end = server.await();
        assertEquals(0, end.status(), end::all);
        Result check = RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "read -P 0x2e 1000 70k",
                folder.resolve("disk.vhd").toString()).assertSucceeded();
        assertFalse(check.stdout().contains("Pattern verification failed"), check::describe);

        ToolProcess.Run bad = jblockNbd("--cache=fast", "-k", socket.toString(), "disk.vhd").run();
        assertEquals(1, bad.status(), bad::all);
        assertEquals("jblock-nbd: Invalid cache mode `fast'\n", bad.err(), bad::all);
        ToolProcess.Run twice = jblockNbd("-n", "--cache=none", "-k", socket.toString(), "disk.vhd").run();
        assertEquals("jblock-nbd: -n and --cache can only be specified once\n", twice.err(), twice::all);
        if (Files.isRegularFile(Path.of("/proc/version"))) {
            ToolProcess.Run direct = jblockNbd("-n", "-r", "-f", "raw", "-k", socket.toString(), "/proc/version").run();
            assertEquals(1, direct.status(), direct::all);
            assertEquals("jblock-nbd: Failed to open '/proc/version': Could not open '/proc/version': filesystem does"
                    + " not support O_DIRECT\n", direct.err(), direct::all);
        }
    }

    /**
     * {@code -o OFFSET} as qemu-nbd: the export is the image from that byte on, whatever its format,
     * the same size and bytes as qemu-nbd's; a value that is not a number, or an offset past the end,
     * is refused in qemu-nbd's words.
     */
    @Test
    void offsetServesTheImageFromThereAsQemuNbdDoes() throws IOException {
        RealTools.require(Tool.QEMU_NBD, Tool.NBDINFO);
        String vhd = folder.resolve("disk.vhd").toString();
        RealTools.run(Tool.QEMU_IO, "-f", "vpc", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 1M 1M", vhd)
                .assertSucceeded();
        Path ours = folder.resolve("ours.sock");
        Path theirs = folder.resolve("theirs.sock");
        ToolProcess.Started jblock = jblockNbd("-t", "-r", "-f", "vpc", "-o", "1048576", "-k", ours.toString(),
                "disk.vhd").start();
        ToolProcess.Started qemu = ToolProcess.of(List.of("qemu-nbd", "-t", "-r", "-f", "vpc", "-o", "0x100000", "-k",
                theirs.toString(), vhd), folder, Map.of(), "").start();
        try {
            awaitSocket(ours, jblock);
            awaitSocket(theirs, qemu);
            String ourUri = "nbd+unix:///?socket=" + ours;
            String theirUri = "nbd+unix:///?socket=" + theirs;
            String ourSize = RealTools.run(Tool.NBDINFO, "--size", ourUri).assertSucceeded().stdout();
            assertEquals(RealTools.run(Tool.NBDINFO, "--size", theirUri).assertSucceeded().stdout(), ourSize);
            Result whole = RealTools.run(Tool.QEMU_IMG, "info", "--output=json", "-f", "vpc", "-U", vhd).assertSucceeded();
            assertTrue(whole.stdout().contains("\"virtual-size\": " + (Long.parseLong(ourSize.trim()) + (1 << 20)) + ","),
                    () -> "the export is 1 MiB smaller than the image: " + ourSize + whole.describe());
            Result read = RealTools.run(Tool.QEMU_IO, "-r", "-f", "raw", "-c", "read -P 0x22 0 1M", ourUri)
                    .assertSucceeded();
            assertFalse(read.stdout().contains("Pattern verification failed"), read::describe);
            Result compare = RealTools.run(Tool.QEMU_IMG, "compare", "-f", "raw", "-F", "raw", ourUri, theirUri);
            assertEquals(0, compare.exitCode(), compare::describe);
        } finally {
            jblock.process().destroy();
            qemu.process().destroy();
            jblock.await();
            qemu.await();
        }

        ToolProcess.Run notANumber = jblockNbd("-o", "1M", "-k", ours.toString(), "disk.vhd").run();
        assertEquals(1, notANumber.status(), notANumber::all);
        assertEquals("jblock-nbd: Invalid offset '1M'\n", notANumber.err(), notANumber::all);
        String past = String.valueOf(1L << 40);
        ToolProcess.Run pastTheEnd = jblockNbd("-f", "vpc", "-o", past, "-k", ours.toString(), "disk.vhd").run();
        ToolProcess.Run qemuPastTheEnd = ToolProcess.of(List.of("qemu-nbd", "-f", "vpc", "-o", past, "-k",
                theirs.toString(), vhd), folder, Map.of(), "").run();
        assertEquals(1, pastTheEnd.status(), pastTheEnd::all);
        assertTrue(qemuPastTheEnd.err().startsWith("qemu-nbd: Offset (" + past + ") cannot be greater than"),
                qemuPastTheEnd::all);
        assertEquals(qemuPastTheEnd.err().replace("qemu-nbd: ", "jblock-nbd: "), pastTheEnd.err(), pastTheEnd::all);
    }

    /**
     * {@code --discard} and {@code --detect-zeroes} as qemu-nbd: the same client requests through
     * each server, on copies of one raw image full of data, leave the same bytes (a discard is
     * ignored unless {@code --discard=unmap}); wrong values are refused in qemu-nbd's words.
     */
    @Test
    void discardAndDetectZeroesAreQemuNbds() throws IOException {
        RealTools.require(Tool.QEMU_NBD);
        boolean punches = launcherKnowsHoles();
        byte[] data = new byte[4 << 20];
        new java.util.Random(41).nextBytes(data);
        List<List<String>> modes = List.of(List.of(), List.of("--discard=unmap"), List.of("--detect-zeroes=on"),
                List.of("--discard=unmap", "--detect-zeroes=unmap"));
        for (List<String> mode : modes) {
            Map<String, Path> results = new java.util.LinkedHashMap<>();
            for (String server : List.of("jblock-nbd", "qemu-nbd")) {
                Path image = folder.resolve(server + ".raw");
                Files.write(image, data);
                Path socket = folder.resolve(server + ".sock");
                List<String> command = new ArrayList<>(List.of("-t", "-f", "raw", "-k", socket.toString()));
                command.addAll(mode);
                command.add(image.toString());
                ToolProcess.Started started = server.equals("jblock-nbd")
                        ? jblockNbd(command.toArray(String[]::new)).start()
                        : ToolProcess.of(concat("qemu-nbd", command), folder, Map.of(), "").start();
                try {
                    awaitSocket(socket, started);
                    RealTools.run(Tool.QEMU_IO, "-f", "raw", "-c", "discard 0 1M", "-c", "write -z -u 1M 1M",
                            "-c", "write -z 2M 1M", "-c", "write -P 0 3M 1M", "nbd+unix:///?socket=" + socket)
                            .assertSucceeded();
                } finally {
                    started.process().destroy();
                    started.await();
                }
                results.put(server, image);
            }
            byte[] ours = Files.readAllBytes(results.get("jblock-nbd"));
            byte[] theirs = Files.readAllBytes(results.get("qemu-nbd"));
            boolean discarded = mode.contains("--discard=unmap");
            assertEquals(discarded, java.util.Arrays.equals(new byte[1 << 20], java.util.Arrays.copyOf(theirs, 1 << 20)),
                    () -> "qemu-nbd's discard of the first MiB with " + mode);
            if (discarded && !punches) {
                // The JDK the launcher runs on cannot punch holes (JDK 17): a discard leaves the data,
                // which is all a discard promises.
                System.arraycopy(data, 0, theirs, 0, 1 << 20);
            }
            assertTrue(java.util.Arrays.equals(theirs, ours), () -> "the images differ after the same requests with "
                    + mode + (punches ? "" : " (jblock-nbd without holes)"));
        }

        Path socket = folder.resolve("s.sock");
        for (List<String> wrong : List.of(List.of("--discard=ON"), List.of("--detect-zeroes=bar"),
                List.of("--detect-zeroes=unmap"))) {
            List<String> command = new ArrayList<>(wrong);
            command.addAll(List.of("-k", socket.toString(), "disk.vhd"));
            ToolProcess.Run ourRun = jblockNbd(command.toArray(String[]::new)).run();
            ToolProcess.Run theirRun = ToolProcess.of(concat("qemu-nbd", command), folder, Map.of(), "").run();
            assertEquals(1, ourRun.status(), ourRun::all);
            assertEquals(1, theirRun.status(), theirRun::all);
            assertEquals(theirRun.err().replace("qemu-nbd: ", "jblock-nbd: "), ourRun.err(), ourRun::all);
        }
    }

    /** @return whether the launcher's JDK tells holes in local files (JDK 22+), as jblock-img's map shows */
    private boolean launcherKnowsHoles() throws IOException {
        Path sparse = folder.resolve("sparse.raw");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            file.setLength(1 << 20);
        }
        ToolProcess.Run map = tool("jblock-img", "map", "--output=json", "-f", "raw", sparse.toString()).run();
        assertEquals(0, map.status(), map::all);
        return map.out().contains("\"data\": false");
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    @Test
    void mistakesAreOneLineAndStatusOne() {
        ToolProcess.Run missing = jblockNbd("-k", folder.resolve("s.sock").toString(), "missing.vhd").run();
        assertEquals(1, missing.status(), missing::all);
        assertTrue(missing.err().startsWith("jblock-nbd: Failed to open 'missing.vhd': "), missing::all);
        assertEquals(1, missing.err().lines().count(), missing::all);

        ToolProcess.Run relative = jblockNbd("-k", "relative.sock", "disk.vhd").run();
        assertEquals("jblock-nbd: socket path must be absolute\n", relative.err(), relative::all);

        ToolProcess.Run none = jblockNbd().run();
        assertEquals(1, none.status(), none::all);
        assertEquals("jblock-nbd: Invalid number of arguments\nTry `jblock-nbd --help' for more information.\n",
                none.err(), none::all);

        ToolProcess.Run forkFailure = jblockNbd("--fork", "-k", folder.resolve("s.sock").toString(), "missing.vhd").run();
        assertEquals(1, forkFailure.status(), "--fork reports the server's start-up failure\n" + forkFailure.all());
        assertTrue(forkFailure.err().contains("Failed to open 'missing.vhd'"), forkFailure::all);
    }

    private ToolProcess jblockNbd(String... arguments) {
        return tool("jblock-nbd", arguments);
    }

    private ToolProcess tool(String name, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(repo.resolve("bin").resolve(name).toString());
        command.addAll(List.of(arguments));
        return ToolProcess.of(command, folder, Map.of("JBLOCK_NO_BUILD", "1"), "");
    }

    /**
     * Connects to the server's socket, again while it refuses: the socket file appears when the
     * server binds, a moment before it listens.
     */
    private static java.nio.channels.SocketChannel connect(Path socket) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket));
            } catch (java.net.ConnectException e) {
                if (attempt == 100) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(interrupted);
                }
            }
        }
    }

    private static void awaitSocket(Path socket, ToolProcess.Started server) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(socket)) {
            if (!server.process().isAlive()) {
                throw new AssertionError("jblock-nbd ended: " + server.await().all());
            }
            if (System.nanoTime() > deadline) {
                server.process().destroyForcibly();
                throw new AssertionError("jblock-nbd did not listen within 60 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
