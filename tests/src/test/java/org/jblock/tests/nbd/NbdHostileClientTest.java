package org.jblock.tests.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that break the NBD protocol, byte by byte, against a writable export: each gets an NBD
 * error or loses its connection, while a well-behaved client connected all along keeps being
 * served, and the image keeps its content.
 */
class NbdHostileClientTest {
    private static final long SIZE = 8L << 20;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int REQUEST_MAGIC = 0x25609513;

    @TempDir
    Path dir;

    private final DriverRegistry registry = DriverRegistry.load();
    private Path vhd;
    private BlockImage image;
    private NbdServer server;
    private Path socket;
    private byte[] content;

    @BeforeEach
    void serve() throws IOException {
        vhd = dir.resolve("disk.vhd");
        registry.create(vhd, "vpc", SIZE, "");
        image = registry.open(vhd, OpenSpec.readWrite());
        content = new byte[(int) image.size()];
        new Random(7).nextBytes(content);
        Arrays.fill(content, 1 << 20, 4 << 20, (byte) 0);
        image.write(0, ByteBuffer.wrap(content));
        socket = dir.resolve("s.sock");
        server = NbdServer.builder().export(NbdExport.of("", image)).listen(UnixDomainSocketAddress.of(socket))
                .handshakeTimeout(Duration.ofSeconds(1)).start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        image.close();
    }

    @Test
    void brokenHandshakesAreDroppedAndTheOthersAreServed() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Client good = Client.connect(socket)) {
                good.go("");
                good.assertReads(0, 65536, content);

                try (SocketChannel quiet = open()) {
                    readGreeting(quiet);
                    // Sends nothing: dropped once the handshake time is up.
                    assertClosedByServer(quiet);
                }
                try (SocketChannel badFlags = open()) {
                    readGreeting(badFlags);
                    badFlags.write(ByteBuffer.allocate(4).putInt(0xffffffff).flip());
                    assertClosedByServer(badFlags);
                }
                try (SocketChannel truncated = open()) {
                    readGreeting(truncated);
                    truncated.write(ByteBuffer.wrap(new byte[] {0, 0}));
                }
                try (SocketChannel garbage = open()) {
                    readGreeting(garbage);
                    byte[] noise = new byte[4096];
                    new Random(1).nextBytes(noise);
                    garbage.write(ByteBuffer.allocate(4).putInt(1).flip());
                    garbage.write(ByteBuffer.wrap(noise));
                    assertClosedByServer(garbage);
                }
                try (Client huge = Client.connect(socket)) {
                    // An option that claims 2 GiB of data and sends a little: nothing of it is held.
                    huge.channel.write(ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(99).putInt(0x7fffffff).flip());
                    huge.channel.write(ByteBuffer.allocate(1 << 16));
                }
                try (Client unknown = Client.connect(socket)) {
                    assertEquals(0x80000001, unknown.option(99, new byte[10]), "NBD_REP_ERR_UNSUP");
                    assertEquals(0x80000006, unknown.goStatus("nosuch"), "NBD_REP_ERR_UNKNOWN");
                    unknown.go("");
                    unknown.assertReads(8192, 512, content);
                }
                good.assertReads(4096, 4096, content);
                // The server notices the others' ends as it reads: give it a moment.
                for (int i = 0; i < 100 && server.connections() > 1; i++) {
                    Thread.sleep(50);
                }
                assertEquals(1, server.connections(), "only the good client is left");
            }
        });
    }

    @Test
    void brokenRequestsGetErrorsOrAreDroppedAndTheImageKeepsItsContent() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Client good = Client.connect(socket)) {
                good.go("");
                try (Client bad = Client.connect(socket)) {
                    bad.go("");
                    assertEquals(22, bad.request(0, 0, 1, content.length, 512, null), "read past the end: EINVAL");
                    assertEquals(22, bad.request(0, 0, 2, -512, 512, null), "read at a huge offset: EINVAL");
                    assertEquals(28, bad.request(0, 1, 3, content.length - 256, 512, new byte[512]), "write past the end: ENOSPC");
                    assertEquals(22, bad.request(0, 99, 4, 0, 512, null), "unknown command: EINVAL");
                    assertEquals(22, bad.request(0x40, 0, 5, 0, 512, null), "unknown flag: EINVAL");
                    assertEquals(22, bad.request(0, 0, 6, 0, 64 << 20, null), "read larger than 32 MiB: EINVAL");
                    assertEquals(22, bad.request(0, 7, 7, 0, 512, null), "block status without a context: EINVAL");
                    bad.assertReads(0, 512, content);
                    // A write larger than any payload cannot be skipped sanely: the connection goes.
                    bad.channel.write(ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) 0)
                            .putShort((short) 1).putLong(8).putLong(0).putInt(64 << 20).flip());
                    assertClosedByServer(bad.channel);
                }
                try (Client cut = Client.connect(socket)) {
                    cut.go("");
                    // Half a write, then gone: nothing of it is written.
                    cut.channel.write(ByteBuffer.allocate(28 + 100).putInt(REQUEST_MAGIC).putShort((short) 0)
                            .putShort((short) 1).putLong(9).putLong(4 << 20).putInt(4096).flip());
                }
                try (Client badMagic = Client.connect(socket)) {
                    badMagic.go("");
                    byte[] noise = new byte[1024];
                    new Random(2).nextBytes(noise);
                    badMagic.channel.write(ByteBuffer.wrap(noise));
                    assertClosedByServer(badMagic.channel);
                }
                good.assertReads(0, content.length, content);
            }
        });
        server.close();
        byte[] after = new byte[content.length];
        image.read(0, ByteBuffer.wrap(after));
        assertArrayEquals(content, after, "the image after every hostile client");
    }

    private SocketChannel open() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    private static void readGreeting(SocketChannel channel) throws IOException {
        ByteBuffer greeting = readFully(channel, 18);
        assertEquals(0x4e42444d41474943L, greeting.getLong(), "NBDMAGIC");
        assertEquals(IHAVEOPT, greeting.getLong(), "IHAVEOPT");
        assertEquals(3, greeting.getShort(), "fixed newstyle, no zeroes");
    }

    private static void assertClosedByServer(SocketChannel channel) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        while (true) {
            int read;
            try {
                read = channel.read(sink.clear());
            } catch (IOException e) {
                return;
            }
            if (read < 0) {
                return;
            }
        }
    }

    static ByteBuffer readFully(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("server closed the connection");
            }
        }
        return buffer.flip();
    }

    /** A minimal client that writes the protocol by hand, independent of jblock's codec. */
    static final class Client implements AutoCloseable {
        final SocketChannel channel;

        private Client(SocketChannel channel) {
            this.channel = channel;
        }

        static Client connect(Path socket) throws IOException {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            readGreeting(channel);
            channel.write(ByteBuffer.allocate(4).putInt(1).flip());
            return new Client(channel);
        }

        /** Sends an option; @return the reply type of its last reply, skipping informational ones. */
        int option(int option, byte[] data) throws IOException {
            channel.write(ByteBuffer.allocate(16 + data.length).putLong(IHAVEOPT).putInt(option)
                    .putInt(data.length).put(data).flip());
            while (true) {
                ByteBuffer reply = readFully(channel, 20);
                assertEquals(0x3e889045565a9L, reply.getLong(), "option reply magic");
                assertEquals(option, reply.getInt(), "option echoed");
                int type = reply.getInt();
                readFully(channel, reply.getInt());
                if (type != 3) {
                    return type;
                }
            }
        }

        int goStatus(String name) throws IOException {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            return option(7, ByteBuffer.allocate(6 + bytes.length).putInt(bytes.length).put(bytes)
                    .putShort((short) 0).array());
        }

        void go(String name) throws IOException {
            assertEquals(1, goStatus(name), "NBD_REP_ACK to GO");
        }

        /** Sends a request; @return the error of its simple reply (data of a successful read is dropped). */
        int request(int flags, int type, long cookie, long offset, int length, byte[] data) throws IOException {
            ByteBuffer request = ByteBuffer.allocate(28 + (data == null ? 0 : data.length));
            request.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                    .putLong(offset).putInt(length);
            if (data != null) {
                request.put(data);
            }
            channel.write(request.flip());
            ByteBuffer reply = readFully(channel, 16);
            assertEquals(0x67446698, reply.getInt(), "simple reply magic");
            int error = reply.getInt();
            assertEquals(cookie, reply.getLong(), "cookie echoed");
            if (error == 0 && type == 0) {
                readFully(channel, length);
            }
            return error;
        }

        void assertReads(long offset, int length, byte[] expected) throws IOException {
            channel.write(ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) 0).putShort((short) 0)
                    .putLong(42).putLong(offset).putInt(length).flip());
            ByteBuffer reply = readFully(channel, 16);
            assertEquals(0x67446698, reply.getInt());
            assertEquals(0, reply.getInt(), "read error");
            assertEquals(42, reply.getLong());
            ByteBuffer data = readFully(channel, length);
            assertTrue(Arrays.equals(expected, (int) offset, (int) offset + length, data.array(), 0, length),
                    "data read at " + offset);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
