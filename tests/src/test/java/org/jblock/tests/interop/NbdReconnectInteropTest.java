package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jblock.api.BlockImage;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.interop.RealTools.Tool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's {@code open-timeout} and {@code reconnect-delay} against a qemu-nbd that is stopped and
 * started again on its Unix socket: the first connection waits for a server that is not there yet,
 * and requests outlive a dropped connection; without the options both fail at once, clearly.
 */
class NbdReconnectInteropTest {
    @TempDir
    Path dir;

    private Path image;
    private final AtomicReference<NbdServers> server = new AtomicReference<>();

    @BeforeEach
    void makeImage() throws IOException {
        RealTools.require(Tool.QEMU_NBD);
        image = dir.resolve("disk.raw");
        byte[] content = new byte[1 << 20];
        Arrays.fill(content, (byte) 0x3c);
        Files.write(image, content);
    }

    @Test
    void theFirstConnectionWaitsForTheServerAndRequestsOutliveADroppedConnection() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            try {
                CompletableFuture<Void> starting = startServerAfter(300);
                try (BlockImage nbd = JblockImages.REGISTRY.open(options(Map.of("file.open-timeout", "30",
                        "file.reconnect-delay", "30")), OpenSpec.readWrite())) {
                    starting.get(30, TimeUnit.SECONDS);
                    assertContent(nbd, 0, 4096, (byte) 0x3c);

                    server.getAndSet(null).close();
                    CompletableFuture<Void> restarted = startServerAfter(300);
                    byte[] data = new byte[8192];
                    Arrays.fill(data, (byte) 0x5a);
                    nbd.write(65536, ByteBuffer.wrap(data));
                    restarted.get(30, TimeUnit.SECONDS);
                    assertContent(nbd, 65536, data.length, (byte) 0x5a);
                    nbd.flush();

                    server.getAndSet(null).close();
                    restarted = startServerAfter(300);
                    assertContent(nbd, 0, 4096, (byte) 0x3c);
                    restarted.get(30, TimeUnit.SECONDS);
                }
                byte[] back = Arrays.copyOfRange(Files.readAllBytes(image), 65536, 65536 + 8192);
                byte[] expected = new byte[8192];
                Arrays.fill(expected, (byte) 0x5a);
                assertArrayEquals(expected, back, "the write sent again on the new connection is in the image");
            } finally {
                stopServer();
            }
        });
    }

    @Test
    void withoutTheOptionsAMissingServerAndADroppedConnectionFailAtOnce() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                IOException none = assertThrows(IOException.class,
                        () -> JblockImages.REGISTRY.open(options(Map.of()), OpenSpec.readOnlySpec()));
                assertTrue(none.getMessage().contains("Failed to connect to"), none::getMessage);

                server.set(NbdServers.qemuWritable(image, "raw", dir));
                try (BlockImage nbd = JblockImages.REGISTRY.open(options(Map.of()), OpenSpec.readOnlySpec())) {
                    assertContent(nbd, 0, 4096, (byte) 0x3c);
                    stopServer();
                    IOException dropped = assertThrows(IOException.class,
                            () -> nbd.read(0, ByteBuffer.allocate(4096)));
                    assertTrue(dropped.getMessage().contains("closed the connection"), dropped::getMessage);
                }

                IOException badDelay = assertThrows(IOException.class, () -> JblockImages.REGISTRY.open(
                        options(Map.of("file.reconnect-delay", "-1")), OpenSpec.readOnlySpec()));
                assertTrue(badDelay.getMessage().contains("reconnect-delay"), badDelay::getMessage);
            } finally {
                stopServer();
            }
        });
    }

    private Map<String, String> options(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of("driver", "raw", "file.driver", "nbd",
                "file.server.type", "unix", "file.server.path", dir.resolve("qemu.sock").toString(),
                "file.export", NbdServers.EXPORT));
        options.putAll(extra);
        return options;
    }

    private CompletableFuture<Void> startServerAfter(long millis) {
        return CompletableFuture.runAsync(() -> {
            NbdServers.sleep(millis);
            try {
                server.set(NbdServers.qemuWritable(image, "raw", dir));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private void stopServer() throws IOException {
        NbdServers running = server.getAndSet(null);
        if (running != null) {
            running.close();
        }
    }

    private static void assertContent(BlockImage image, long offset, int length, byte value) throws IOException {
        byte[] expected = new byte[length];
        Arrays.fill(expected, value);
        ByteBuffer back = ByteBuffer.allocate(length);
        image.read(offset, back);
        assertArrayEquals(expected, back.array(), "content at " + offset);
    }
}
