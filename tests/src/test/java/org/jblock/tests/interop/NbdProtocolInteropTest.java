package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images on NBD servers (qemu-nbd and nbdkit as processes) opened through the registry by every
 * name QEMU accepts, with any format on top: a VHD served raw opens as vpc, holes come from block
 * status, and a refused export, a read-only export and a server without structured replies say so.
 */
class NbdProtocolInteropTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path vhd;

    @BeforeEach
    void makeImage() throws IOException {
        Qemu.require();
        RealTools.require(Tool.QEMU_NBD, Tool.NBDKIT);
        vhd = NbdServers.sampleVhd(dir);
    }

    @Test
    void aVhdServedRawByQemuNbdOpensAsVpcByEveryName() throws IOException {
        byte[] expected;
        List<Extent> local;
        try (BlockImage image = JblockImages.REGISTRY.open(vhd, OpenSpec.readOnlySpec())) {
            expected = new byte[(int) image.size()];
            image.read(0, ByteBuffer.wrap(expected));
            local = image.blockStatus(0, image.size());
        }
        try (NbdServers qemu = NbdServers.qemu(vhd, "raw", dir)) {
            String socket = qemu.socket.toString();
            for (String name : List.of(qemu.uri(), "nbd:unix:" + socket + ":exportname=" + NbdServers.EXPORT)) {
                try (BlockImage image = JblockImages.REGISTRY.open(name, OpenSpec.readOnlySpec())) {
                    assertEquals("vpc", image.info().format(), name);
                    byte[] read = new byte[expected.length];
                    image.read(0, ByteBuffer.wrap(read));
                    assertArrayEquals(expected, read, name);
                    assertEquals(local, image.blockStatus(0, image.size()), "VHD block status over " + name);
                }
            }
            Map<String, String> options = Map.of("driver", "vpc", "file.driver", "nbd", "file.server.type", "unix",
                    "file.server.path", socket, "file.export", NbdServers.EXPORT);
            try (BlockImage image = JblockImages.REGISTRY.open(options, OpenSpec.readOnlySpec())) {
                assertEquals(expected.length, image.size());
            }
            try (BlockFile raw = JblockImages.REGISTRY.openFile(qemu.uri(), true, BlockFile.LockMode.NONE)) {
                assertTrue(raw.capabilities().contains(BlockFile.Capability.HOLES), "holes by base:allocation");
                assertEquals(Files.size(vhd), raw.size());
                assertEquals(qemu.uri(), raw.location(), "the name QEMU shows");
            }
        }
    }

    @Test
    void writesThroughNbdkitMemoryReadBack() throws IOException {
        try (Nbdkit kit = Nbdkit.start(dir, "memory", "size=16M")) {
            try (BlockImage image = JblockImages.REGISTRY.open(kit.uri(), OpenSpec.readWrite().withFormat("raw"))) {
                byte[] data = new byte[3 * MIB + 512];
                new java.util.Random(9).nextBytes(data);
                image.write(MIB - 512, ByteBuffer.wrap(data));
                image.writeZeroes(2 * MIB, MIB, true);
                image.discard(12 * MIB, MIB);
                image.flush();
                byte[] back = new byte[data.length];
                image.read(MIB - 512, ByteBuffer.wrap(back));
                java.util.Arrays.fill(data, MIB + 512, 2 * MIB + 512, (byte) 0);
                assertArrayEquals(data, back);
                assertThrows(IOException.class, () -> image.write(16 * MIB - 256, ByteBuffer.allocate(512)),
                        "an export does not grow");
            }
        }
    }

    /**
     * A long read goes as several requests in flight together, as qemu-img keeps several: nbdkit's
     * log (outside a filter that holds each read for 300 ms) shows every piece asked for before the
     * first is answered, and the bytes come back in their places.
     */
    @Test
    void aLongReadHasItsPiecesInFlightTogether() throws IOException {
        Path log = dir.resolve("requests.log");
        byte[] data = new byte[2 * MIB];
        new java.util.Random(11).nextBytes(data);
        try (Nbdkit kit = Nbdkit.start(dir, "--filter=log", "--filter=delay", "memory", "size=4M",
                "delay-read=300ms", "logfile=" + log);
             BlockFile file = JblockImages.REGISTRY.openFile(kit.uri(), false, BlockFile.LockMode.NONE)) {
            file.write(ByteBuffer.wrap(data), MIB);
            ByteBuffer back = ByteBuffer.allocateDirect(2 * MIB);
            file.readFully(back, MIB);
            byte[] read = new byte[2 * MIB];
            back.flip().get(read);
            assertArrayEquals(data, read);
        }
        List<String> reads = Files.readAllLines(log).stream().filter(line -> line.contains("Read id=")).toList();
        int firstAnswer = -1;
        int asked = 0;
        for (int i = 0; i < reads.size(); i++) {
            if (reads.get(i).contains("...Read id=")) {
                firstAnswer = firstAnswer < 0 ? i : firstAnswer;
            } else {
                asked++;
            }
        }
        assertTrue(asked >= 4, "the 2 MiB read goes in pieces: " + reads);
        assertEquals(asked, firstAnswer, "every piece is asked for before the first answer: " + reads);
    }

    /**
     * A read-only image whose server allows several connections (nbdkit's file plugin says
     * {@code NBD_FLAG_CAN_MULTI_CONN}) spreads reads that overlap over two connections, as nbdcopy
     * does; {@code multi-conn=1} keeps them on one. nbdkit's log names the connection of each read,
     * and every byte comes back in its place.
     */
    @Test
    void overlappingReadsOfAReadOnlyImageSpreadOverTheConnectionsTheServerAllows() throws Exception {
        byte[] content = randomBytes(8 * MIB, 21);
        Path raw = Files.write(dir.resolve("content.raw"), content);
        for (String multiConn : List.of("2", "1")) {
            Path where = Files.createDirectory(dir.resolve("multi-conn-" + multiConn));
            Path log = where.resolve("requests.log");
            try (Nbdkit kit = Nbdkit.start(where, "-r", "--filter=log", "--filter=delay", "file", raw.toString(),
                    "delay-read=20ms", "logfile=" + log);
                 BlockImage image = JblockImages.REGISTRY.open(Map.of("driver", "raw", "file.driver", "nbd",
                         "file.server.type", "unix", "file.server.path", kit.socket.toString(), "file.multi-conn", multiConn),
                         OpenSpec.readOnlySpec())) {
                // Twice: the second connection is made once reads overlap, and is there for the second pass.
                for (int pass = 0; pass < 2; pass++) {
                    assertArrayEquals(content, readInParallel(image, 4, MIB), "multi-conn=" + multiConn);
                }
            }
            java.util.Set<String> readers = readingConnections(log);
            assertEquals(Integer.parseInt(multiConn), readers.size(), "the connections that read, multi-conn=" + multiConn
                    + ": " + readers);
        }
    }

    /**
     * With {@code reconnect-delay}, reads spread over two connections outlive a server restart: the
     * second connection, broken, is dropped and its reads go again on the first, which connects
     * anew. nbdkit's logs show two connections reading before the restart, and one after it.
     */
    @Test
    void readsOverTwoConnectionsOutliveARestartedServer() throws Exception {
        byte[] content = randomBytes(4 * MIB, 23);
        Path raw = Files.write(dir.resolve("content.raw"), content);
        Path socket = dir.resolve("kit.sock");
        Map<String, String> options = Map.of("driver", "raw", "file.driver", "nbd", "file.server.type", "unix",
                "file.server.path", socket.toString(), "file.reconnect-delay", "30");
        Nbdkit kit = Nbdkit.start(dir, "-r", "--filter=log", "--filter=delay", "file", raw.toString(), "delay-read=20ms",
                "logfile=" + dir.resolve("before.log"));
        try (BlockImage image = JblockImages.REGISTRY.open(options, OpenSpec.readOnlySpec())) {
            for (int pass = 0; pass < 2; pass++) {
                assertArrayEquals(content, readInParallel(image, 4, MIB / 2), "before the restart");
            }
            kit.kill();
            Files.deleteIfExists(socket);
            kit = Nbdkit.start(dir, "-r", "--filter=log", "file", raw.toString(), "logfile=" + dir.resolve("after.log"));
            assertArrayEquals(content, readInParallel(image, 4, MIB / 2), "after the restart");
        } finally {
            kit.close();
        }
        assertEquals(2, readingConnections(dir.resolve("before.log")).size(), "connections reading before the restart");
        assertEquals(1, readingConnections(dir.resolve("after.log")).size(),
                "after the restart every read goes on the first connection, connected again");
    }

    /** @return the connections nbdkit's log shows reading */
    private static java.util.Set<String> readingConnections(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(line -> line.contains(" Read id="))
                .map(line -> line.replaceAll(".*(connection=\\d+).*", "$1")).collect(java.util.stream.Collectors.toSet());
    }

    /**
     * A server that says it allows several connections but refuses the second (nbdkit's limit
     * filter, on which nbdcopy gives up) keeps every read on the first connection, none failing.
     */
    @Test
    void aServerThatRefusesTheSecondConnectionServesEveryReadOnTheFirst() throws Exception {
        byte[] content = randomBytes(4 * MIB, 22);
        Path raw = Files.write(dir.resolve("content.raw"), content);
        try (Nbdkit kit = Nbdkit.start(dir, "-r", "--filter=limit", "--filter=delay", "file", raw.toString(),
                "limit=1", "delay-read=20ms");
             BlockImage image = JblockImages.REGISTRY.open(kit.uri(), OpenSpec.readOnlySpec().withFormat("raw"))) {
            for (int round = 0; round < 3; round++) {
                assertArrayEquals(content, readInParallel(image, 4, MIB / 2), "round " + round);
            }
        }
        assertTrue(Files.readString(dir.resolve("nbdkit.log")).contains("too many clients"),
                "the server refused a second connection");
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Reads all of {@code image} with {@code threads} threads, each taking every {@code threads}-th piece. */
    private static byte[] readInParallel(BlockImage image, int threads, int piece) throws Exception {
        byte[] all = new byte[(int) image.size()];
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int at = first * piece; at < all.length; at += threads * piece) {
                        ByteBuffer buffer = ByteBuffer.allocateDirect(Math.min(piece, all.length - at));
                        image.read(at, buffer);
                        buffer.flip().get(all, at, buffer.remaining());
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return all;
    }

    @Test
    void aServerWithoutStructuredRepliesStillServesWithoutHoles() throws IOException {
        try (Nbdkit kit = Nbdkit.start(dir, "--no-sr", "memory", "size=4M");
             BlockFile file = JblockImages.REGISTRY.openFile(kit.uri(), false, BlockFile.LockMode.NONE)) {
            assertFalse(file.capabilities().contains(BlockFile.Capability.HOLES), "no block status without structured replies");
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4096);
            ByteBuffer back = ByteBuffer.allocate(3);
            file.readFully(back, 4096);
            assertArrayEquals(new byte[] {1, 2, 3}, back.array());
            assertEquals(0, file.seekData(0), "everything may be data");
        }
    }

    @Test
    void refusedReadOnlyAndMissingServersSaySo() throws IOException {
        try (NbdServers qemu = NbdServers.qemu(vhd, "raw", dir)) {
            IOException refused = assertThrows(IOException.class, () -> JblockImages.REGISTRY.open(
                    "nbd+unix:///nosuch?socket=" + qemu.socket, OpenSpec.readOnlySpec()));
            assertTrue(refused.getMessage().endsWith("Requested export not available\nserver reported: export 'nosuch' not present"),
                    "the server's words on their own line, as qemu-io prints them: " + refused.getMessage());
            IOException readOnly = assertThrows(IOException.class,
                    () -> JblockImages.REGISTRY.open(qemu.uri(), OpenSpec.readWrite()));
            assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
        }
        IOException none = assertThrows(IOException.class, () -> JblockImages.REGISTRY.open(
                "nbd+unix:///?socket=" + dir.resolve("none.sock"), OpenSpec.readOnlySpec()));
        assertTrue(none.getMessage().startsWith("Failed to connect to '"), none.getMessage());
        IOException badName = assertThrows(IOException.class, () -> JblockImages.REGISTRY.open(
                "nbd+unix:///x?socket=/a&b=c", OpenSpec.readOnlySpec()));
        assertTrue(badName.getMessage().contains("No valid URL specified"), badName.getMessage());
    }

    /**
     * qemu-nbd answers a read of a sparse file with a data or hole chunk per run (4 KiB of data, 12
     * KiB of hole, over and over): many chunks in one reply, several to a socket read, each landing
     * in its place.
     */
    @Test
    void aReplyOfManyDataAndHoleChunksLandsInPlace() throws IOException {
        Path sparse = dir.resolve("sparse.raw");
        byte[] expected = new byte[2 * MIB];
        java.util.Random random = new java.util.Random(5);
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(sparse,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            for (int at = 0; at < expected.length; at += 16384) {
                byte[] run = new byte[4096];
                random.nextBytes(run);
                System.arraycopy(run, 0, expected, at, run.length);
                out.write(ByteBuffer.wrap(run), at);
            }
            out.truncate(expected.length);
            out.write(ByteBuffer.wrap(new byte[1]), expected.length - 1);
        }
        try (NbdServers qemu = NbdServers.qemu(sparse, "raw", dir);
             BlockFile file = JblockImages.REGISTRY.openFile(qemu.uri(), true, BlockFile.LockMode.NONE)) {
            for (ByteBuffer back : List.of(ByteBuffer.allocateDirect(expected.length), ByteBuffer.allocate(expected.length))) {
                back.put(0, (byte) 0x55).put(expected.length / 2 + 5000, (byte) 0x55);
                file.readFully(back, 0);
                byte[] read = new byte[expected.length];
                back.flip().get(read);
                assertArrayEquals(expected, read, "holes read as zeros, data in place");
            }
            ByteBuffer small = ByteBuffer.allocate(100);
            file.readFully(small, 16384 - 50);
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 16384 - 50, 16384 + 50), small.array());
        }
    }

    /**
     * An error reply, structured or simple, fails its read alone: nbdkit's error filter fails reads
     * while its trigger file exists, and the reads after it on the same connection still get their
     * own bytes.
     */
    @Test
    void anErrorReplyFailsItsReadAndTheConnectionReadsOn() throws IOException {
        byte[] data = new byte[MIB];
        new java.util.Random(3).nextBytes(data);
        for (String replies : List.of("--no-sr", "--filter=nofilter")) {
            Path own = Files.createDirectory(dir.resolve(replies.replace("-", "")));
            Path trigger = own.resolve("fail-reads");
            try (Nbdkit kit = Nbdkit.start(own, replies, "--filter=error", "memory", "size=4M", "error-pread=EIO",
                    "error-pread-rate=100%", "error-pread-file=" + trigger);
                 BlockFile file = JblockImages.REGISTRY.openFile(kit.uri(), false, BlockFile.LockMode.NONE)) {
                file.write(ByteBuffer.wrap(data), MIB);
                Files.createFile(trigger);
                IOException failed = assertThrows(IOException.class, () -> file.readFully(ByteBuffer.allocate(4096), MIB));
                assertTrue(failed.getMessage().contains("EIO") || failed.getMessage().contains("Input/output error"),
                        replies + ": " + failed.getMessage());
                Files.delete(trigger);
                ByteBuffer back = ByteBuffer.allocate(MIB);
                file.readFully(back, MIB);
                assertArrayEquals(data, back.array(), replies);
            }
        }
    }

    /**
     * A long read goes as pieces; when the server fails one of them (jblock's server over blkdebug,
     * failing one sector in the third piece), the read fails naming that piece, only after every
     * piece is answered, and the connection serves the next reads.
     */
    @Test
    void aPieceThatFailsFailsItsReadAlone() throws IOException {
        byte[] content = new byte[4 * MIB];
        new java.util.Random(9).nextBytes(content);
        Path raw = dir.resolve("bad.raw");
        Files.write(raw, content);
        long badSector = (MIB + 100_000) / 512;
        String name = "json:{\"driver\": \"raw\", \"file\": {\"driver\": \"blkdebug\", \"image\": {\"driver\":"
                + " \"file\", \"filename\": \"" + raw + "\"}, \"inject-error\": [{\"event\": \"none\", \"iotype\":"
                + " \"read\", \"errno\": 5, \"sector\": " + badSector + "}]}}";
        try (NbdServers server = NbdServers.jblock(name, null, dir);
             BlockFile file = JblockImages.REGISTRY.openFile(server.uri(), true, BlockFile.LockMode.NONE)) {
            IOException failed = assertThrows(IOException.class, () -> file.readFully(ByteBuffer.allocateDirect(2 * MIB), 0));
            assertTrue(failed.getMessage().contains("read at offset " + MIB + " failed: Input/output error"), failed.getMessage());
            ByteBuffer back = ByteBuffer.allocate(MIB);
            file.readFully(back, 2 * MIB);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 2 * MIB, 3 * MIB), back.array());
        }
    }

    /** nbdkit as a process on a Unix socket. */
    private static final class Nbdkit implements AutoCloseable {
        private final Process process;
        private final Path socket;

        private Nbdkit(Process process, Path socket) {
            this.process = process;
            this.socket = socket;
        }

        static Nbdkit start(Path dir, String... arguments) throws IOException {
            Path socket = dir.resolve("kit.sock");
            List<String> command = new java.util.ArrayList<>(List.of(
                    RealTools.locate(Tool.NBDKIT).orElseThrow(), "-f", "-U", socket.toString()));
            command.addAll(List.of(arguments));
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit.log").toFile()).start();
            for (int i = 0; i < 200 && !Files.exists(socket); i++) {
                NbdServers.sleep(50);
            }
            if (!Files.exists(socket)) {
                process.destroyForcibly();
                throw new AssertionError("nbdkit did not listen: " + Files.readString(dir.resolve("nbdkit.log")));
            }
            return new Nbdkit(process, socket);
        }

        String uri() {
            return "nbd+unix:///?socket=" + socket;
        }

        /** Ends the server at once, as a crash would (a SIGTERM waits for its clients to leave). */
        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }

        @Override
        public void close() {
            NbdServers.stop(process);
        }
    }
}
