package org.jblock.tests.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.spi.BlockProtocol;
import org.jblock.tests.contract.BlockProtocolContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD protocol, reached as any third party would (ServiceLoader, the SPI), passes the protocol
 * kit on raw files that jblock's NBD server serves, writable, on Unix sockets. An export has a fixed
 * size. (qemu-nbd rounds an export's size up to 512 bytes, so it cannot serve the kit's odd sizes.)
 */
class NbdProtocolContractTest extends BlockProtocolContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    private final BlockProtocol protocol = ServiceLoader.load(BlockProtocol.class).stream()
            .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("nbd")).findFirst().orElseThrow();
    private final List<NbdServers> served = new ArrayList<>();

    @Override
    protected BlockProtocol protocol() {
        return protocol;
    }

    @Override
    protected boolean fixedSize() {
        return true;
    }

    @Override
    protected String store(byte[] content) throws IOException {
        Path at = Files.createDirectories(dir.resolve("export" + FILES.incrementAndGet()));
        Path image = at.resolve("file.img");
        Files.write(image, content);
        NbdServers server = NbdServers.jblock(image, "raw", false, 8, at);
        served.add(server);
        return server.uri();
    }

    @Override
    protected String missing() {
        return "nbd+unix:///" + NbdServers.EXPORT + "?socket=" + dir.resolve("missing.sock");
    }

    @Override
    protected String missingIsNamedAs() {
        return dir.resolve("missing.sock").toString();
    }

    @AfterEach
    void stopServers() throws Exception {
        for (NbdServers each : served) {
            each.close();
        }
    }

    @Nested
    class Writing extends WritableFiles {
    }
}
