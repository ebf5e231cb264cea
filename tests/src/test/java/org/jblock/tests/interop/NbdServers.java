package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockImage;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.OpenSpec;

/** NBD servers for the interop suites, each on a Unix socket in a test's folder, stopped by {@link #close}. */
abstract class NbdServers implements AutoCloseable {
    static final String EXPORT = "exp1";

    final Path socket;

    private NbdServers(Path socket) {
        this.socket = socket;
    }

    /** @return the NBD URI of the export */
    String uri() {
        return "nbd+unix:///" + EXPORT + "?socket=" + socket;
    }

    /** jblock's server, in this process, serving {@code image} opened through the registry. */
    static NbdServers jblock(Path image, String format, boolean readOnly, int maxConnections, Path dir)
            throws IOException {
        return jblock(JblockImages.REGISTRY.open(image, new OpenSpec(format, readOnly, false, "")), maxConnections, dir);
    }

    /** jblock's server, in this process, serving the image the registry opens by {@code name} (a URI, say). */
    static NbdServers jblock(String name, String format, Path dir) throws IOException {
        return jblock(JblockImages.REGISTRY.open(name, new OpenSpec(format, false, false, "")), 1, dir);
    }

    private static NbdServers jblock(BlockImage opened, int maxConnections, Path dir) throws IOException {
        Path socket = dir.resolve("jblock.sock");
        NbdServer server;
        try {
            server = NbdServer.builder()
                    .export(NbdExport.of(EXPORT, opened))
                    .listen(UnixDomainSocketAddress.of(socket))
                    .maxConnections(maxConnections)
                    .start();
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        return new NbdServers(socket) {
            @Override
            public void close() throws IOException {
                try {
                    server.close();
                } finally {
                    opened.close();
                }
            }
        };
    }

    /** qemu-nbd serving {@code image}, read-only, for up to two clients (as a process). */
    static NbdServers qemu(Path image, String format, Path dir) throws IOException {
        return qemu(dir, "-r", "-e", "2", "-f", format, image.toString());
    }

    /** qemu-nbd serving {@code image} for writing, to one client. */
    static NbdServers qemuWritable(Path image, String format, Path dir) throws IOException {
        return qemu(dir, "-f", format, image.toString());
    }

    private static NbdServers qemu(Path dir, String... arguments) throws IOException {
        Path socket = dir.resolve("qemu.sock");
        List<String> command = new ArrayList<>(List.of(RealTools.locate(RealTools.Tool.QEMU_NBD).orElseThrow(),
                "-t", "-k", socket.toString(), "-x", EXPORT));
        command.addAll(List.of(arguments));
        Path log = dir.resolve("qemu-nbd.log");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            if (!process.isAlive()) {
                fail("qemu-nbd exited: " + Files.readString(log));
            }
            sleep(50);
        }
        if (!Files.exists(socket)) {
            process.destroyForcibly();
            fail("qemu-nbd did not listen within 10 s");
        }
        return new NbdServers(socket) {
            @Override
            public void close() {
                stop(process);
            }
        };
    }

    /**
     * Makes the VHD the NBD suites serve: 64 MiB, dynamic, made by qemu-img, with data at
     * [0, 4 MiB) (0x11) and [8, 10 MiB) (0x22), the rest never written.
     */
    static Path sampleVhd(Path dir) throws IOException {
        Path vhd = dir.resolve("disk.vhd");
        Qemu.create(vhd, "vpc", "", 64L << 20);
        Qemu.io(vhd, "vpc", List.of("write -P 0x11 0 4M", "write -P 0x22 8M 2M"));
        return vhd;
    }

    /** Stops a server process (SIGTERM, then SIGKILL after 10 s). */
    static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public abstract void close() throws IOException;
}
