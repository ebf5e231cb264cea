package org.jblock.nbd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jblock.nbd.wire.Nbd;
import org.jblock.nbd.wire.ProtocolException;
import org.jblock.nbd.wire.Request;
import org.jblock.nbd.wire.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The old-style handshake (QEMU's test servers and old nbd-servers speak it): the server sends its
 * one export's size and flags at once, and the client reads and writes without options.
 */
class OldStyleHandshakeTest {
    private static final long SIZE = 1 << 20;

    /** Greets old-style, then answers one read with 0x5a bytes, and waits for the client to leave. */
    private static Boolean serveOne(ServerSocketChannel server) throws IOException {
        try (SocketChannel peer = server.accept()) {
            ByteBuffer greeting = ByteBuffer.allocate(8 + 8 + 8 + 4 + 124)
                    .putLong(Nbd.NBDMAGIC).putLong(Nbd.CLISERV_MAGIC).putLong(SIZE)
                    .putInt(Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_READ_ONLY);
            Wire.writeFully(peer, greeting.position(greeting.capacity()).flip());
            Request request = Request.decode(Wire.read(peer, Request.SIZE));
            if (request.type() == Nbd.CMD_DISC) {
                return false;
            }
            ByteBuffer reply = ByteBuffer.allocate(16 + (int) request.length())
                    .putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(0).putLong(request.cookie());
            while (reply.hasRemaining()) {
                reply.put((byte) 0x5a);
            }
            Wire.writeFully(peer, reply.flip());
            return Request.decode(Wire.read(peer, Request.SIZE)).type() == Nbd.CMD_DISC;
        }
    }

    @Test
    void anOldStyleServersExportOpensAndReads(@TempDir Path dir) throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("nbd"));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address)) {
            Future<Boolean> served = executor.submit(() -> serveOne(server));
            try (NbdConnection nbd = NbdConnection.open(address, "", "nbd+unix:///")) {
                assertEquals(SIZE, nbd.size());
                assertTrue(nbd.isReadOnly());
                ByteBuffer data = ByteBuffer.allocate(4096);
                nbd.read(8192, data);
                assertEquals(0x5a, data.get(4095));
            }
            assertTrue(served.get(10, TimeUnit.SECONDS), "the client said goodbye with NBD_CMD_DISC");

            Future<Boolean> refused = executor.submit(() -> serveOne(server));
            ProtocolException named = assertThrows(ProtocolException.class,
                    () -> NbdConnection.open(address, "disk", "nbd+unix:///disk"));
            assertTrue(named.getMessage().contains("does not support non-empty export names"), named.getMessage());
            refused.cancel(true);
        } finally {
            executor.shutdownNow();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
