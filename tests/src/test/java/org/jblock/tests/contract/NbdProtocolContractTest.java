package org.jblock.tests.contract;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD protocol, reached as any third party would (ServiceLoader, the SPI), on exports of raw
 * files that jblock's own server serves on Unix sockets. An export has a fixed size.
 */
class NbdProtocolContractTest extends BlockFileContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    private final BlockProtocol protocol = ServiceLoader.load(BlockProtocol.class).stream()
            .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("nbd")).findFirst().orElseThrow();
    private final List<AutoCloseable> served = new ArrayList<>();

    @Override
    protected boolean fixedSize() {
        return true;
    }

    @Override
    protected BlockFile newFile(byte[] content) throws IOException {
        int number = FILES.incrementAndGet();
        Path path = dir.resolve("file" + number + ".img");
        Files.write(path, content);
        BlockImage image = DriverRegistry.load().open(path, OpenSpec.readWrite().withFormat("raw"));
        served.add(image);
        Path socket = dir.resolve(number + ".sock");
        served.add(0, NbdServer.builder().export(NbdExport.of("", image)).listen(UnixDomainSocketAddress.of(socket))
                .start());
        return open("nbd+unix:///?socket=" + socket, false);
    }

    @Override
    protected BlockFile reopenReadOnly(BlockFile file) throws IOException {
        return open(file.location(), true);
    }

    private BlockFile open(String filename, boolean readOnly) throws IOException {
        Map<String, String> given = protocol.parseFilename(filename);
        Options options = Options.of(given, protocol.openOptions());
        return protocol.open(new ProtocolRequest(options, readOnly, BlockFile.LockMode.NONE));
    }

    @AfterEach
    void stopServers() throws Exception {
        for (AutoCloseable each : served) {
            each.close();
        }
    }
}
