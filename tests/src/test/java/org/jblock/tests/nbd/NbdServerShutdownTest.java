package org.jblock.tests.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import org.jblock.api.BlockImage;
import org.jblock.api.spi.support.DelegatingBlockImage;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping a server (what SIGTERM does to jblock-nbd) with a write in flight: the server stops
 * accepting at once, but answers the write once the image has taken it, and only then closes.
 */
class NbdServerShutdownTest {
    private static final int REQUEST_MAGIC = 0x25609513;

    @TempDir
    Path dir;

    @Test
    void aWriteInFlightIsFinishedAndAnsweredBeforeTheServerCloses() throws Exception {
        Path vhd = dir.resolve("disk.vhd");
        DriverRegistry registry = DriverRegistry.load();
        registry.create(vhd, "vpc", 8L << 20, "");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Path socket = dir.resolve("s.sock");
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 0x5e);
        try (BlockImage image = registry.open(vhd, OpenSpec.readWrite())) {
            BlockImage slow = new DelegatingBlockImage(image) {
                @Override
                public void write(long offset, ByteBuffer src) throws IOException {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                    super.write(offset, src);
                }
            };
            NbdServer server = NbdServer.builder().export(NbdExport.of("", slow))
                    .listen(UnixDomainSocketAddress.of(socket)).start();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                try (NbdHostileClientTest.Client client = NbdHostileClientTest.Client.connect(socket)) {
                    client.go("");
                    client.channel.write(ByteBuffer.allocate(28 + data.length).putInt(REQUEST_MAGIC)
                            .putShort((short) 0).putShort((short) 1).putLong(77).putLong(1 << 20).putInt(data.length)
                            .put(data).flip());
                    entered.await();

                    Thread closer = new Thread(() -> {
                        try {
                            server.close();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    closer.start();
                    for (int i = 0; i < 100 && Files.exists(socket); i++) {
                        Thread.sleep(20);
                    }
                    assertFalse(Files.exists(socket), "no new clients once stopping");
                    assertThrows(IOException.class, () -> {
                        try (SocketChannel late = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                            late.connect(UnixDomainSocketAddress.of(socket));
                        }
                    });
                    assertTrue(closer.isAlive(), "the server waits for the write in flight");

                    release.countDown();
                    ByteBuffer reply = NbdHostileClientTest.readFully(client.channel, 16);
                    assertEquals(0x67446698, reply.getInt());
                    assertEquals(0, reply.getInt(), "the write succeeded");
                    assertEquals(77, reply.getLong());
                    closer.join();
                    assertEquals(-1, client.channel.read(ByteBuffer.allocate(1)), "then the connection closes");
                }
            });
            byte[] back = new byte[data.length];
            image.read(1 << 20, ByteBuffer.wrap(back));
            assertArrayEquals(data, back, "the acknowledged write is in the image");
        }
    }
}
