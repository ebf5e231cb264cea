package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jblock.nbd.client.NbdConnection;
import org.jblock.nbd.wire.BlockStatusChunk;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jblock's NBD client connection against qemu-nbd (as a process) and jblock's own server: the
 * handshake, reads, writes, zeroes, trims and flushes, block status, many requests in flight from
 * many threads, and the errors a user sees.
 */
class NbdClientInteropTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path vhd;
    private long size;

    @BeforeEach
    void makeImage() throws IOException {
        Qemu.require();
        RealTools.require(Tool.QEMU_NBD);
        vhd = NbdServers.sampleVhd(dir);
        size = Qemu.info(vhd, "vpc").virtualSize();
    }

    @Test
    void readsWritesAndBlockStatusAgainstQemuNbd() throws Exception {
        try (NbdServers qemu = NbdServers.qemuWritable(vhd, "vpc", dir);
             NbdConnection nbd = NbdConnection.open(UnixDomainSocketAddress.of(qemu.socket), NbdServers.EXPORT, qemu.uri())) {
            exercise(nbd);
        }
        Qemu.io(vhd, "vpc", List.of("read -P 0x77 20M 1M", "read -P 0 9M 1M"));
    }

    @Test
    void readsWritesAndBlockStatusAgainstJblockNbd() throws Exception {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", false, 0, dir);
             NbdConnection nbd = NbdConnection.open(UnixDomainSocketAddress.of(jblock.socket), NbdServers.EXPORT, jblock.uri())) {
            exercise(nbd);
        }
        Qemu.io(vhd, "vpc", List.of("read -P 0x77 20M 1M", "read -P 0 9M 1M"));
    }

    private void exercise(NbdConnection nbd) throws Exception {
        assertEquals(size, nbd.size());
        assertFalse(nbd.isReadOnly());
        assertTrue(nbd.hasBlockStatus() && nbd.canTrim() && nbd.canWriteZeroes() && nbd.canFlush());
        List<BlockStatusChunk.Descriptor> extents = nbd.blockStatus(0, 12 * MIB);
        assertEquals(new BlockStatusChunk.Descriptor(4 * MIB, 0), extents.get(0));
        assertEquals(new BlockStatusChunk.Descriptor(4 * MIB, 3), extents.get(1));

        ByteBuffer read = ByteBuffer.allocate(2 * MIB);
        nbd.read(3 * MIB, read);
        byte[] expected = new byte[2 * MIB];
        java.util.Arrays.fill(expected, 0, MIB, (byte) 0x11);
        assertArrayEquals(expected, read.array(), "data then a hole");

        byte[] pattern = new byte[MIB];
        java.util.Arrays.fill(pattern, (byte) 0x77);
        nbd.write(20 * MIB, ByteBuffer.wrap(pattern), true);
        nbd.writeZeroes(9 * MIB, MIB, false);
        nbd.trim(40 * MIB, MIB);
        nbd.flush();

        // Many requests in flight on the one connection, from many threads, answered in any order.
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> reads = new ArrayList<>();
            Random random = new Random(5);
            for (int i = 0; i < 200; i++) {
                long at = random.nextInt(4 * MIB - 65536);
                reads.add(threads.submit(() -> {
                    ByteBuffer buffer = ByteBuffer.allocate(65536);
                    nbd.read(at, buffer);
                    for (byte b : buffer.array()) {
                        if (b != 0x11) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> each : reads) {
                assertTrue(each.get(), "a read in flight with others got its own data");
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void errorsSayWhatWentWrong() throws IOException {
        try (NbdServers jblock = NbdServers.jblock(vhd, "vpc", true, 0, dir)) {
            UnixDomainSocketAddress address = UnixDomainSocketAddress.of(jblock.socket);
            NoSuchFileException refused = assertThrows(NoSuchFileException.class,
                    () -> NbdConnection.open(address, "nosuch", "nbd+unix:///nosuch"));
            assertTrue(refused.getMessage().contains("Requested export not available")
                    && refused.getMessage().contains("export 'nosuch' not present"), refused.getMessage());
            try (NbdConnection nbd = NbdConnection.open(address, NbdServers.EXPORT, jblock.uri())) {
                assertTrue(nbd.isReadOnly());
                AccessDeniedException denied = assertThrows(AccessDeniedException.class,
                        () -> nbd.write(0, ByteBuffer.allocate(512), false));
                assertTrue(denied.getMessage().contains("Operation not permitted"), denied.getMessage());
                IOException pastEnd = assertThrows(IOException.class, () -> nbd.read(nbd.size(), ByteBuffer.allocate(512)));
                assertTrue(pastEnd.getMessage().contains("Invalid argument"), pastEnd.getMessage());
                jblock.close();
                IOException dropped = assertThrows(IOException.class, () -> nbd.read(0, ByteBuffer.allocate(512)));
                assertTrue(dropped.getMessage().contains("closed the connection"), dropped.getMessage());
            }
        }
        IOException noServer = assertThrows(IOException.class,
                () -> NbdConnection.open(UnixDomainSocketAddress.of(dir.resolve("none.sock")), "", "nbd+unix:///"));
        assertTrue(noServer.getMessage().startsWith("Failed to connect to '"), noServer.getMessage());
        assertFalse(Files.exists(dir.resolve("none.sock")));
    }
}
