package org.jblock.tests.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.tests.contract.ReadOnlyBlockFileContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The http protocol, reached as any third party would (ServiceLoader, the SPI), passes the read-only
 * contract on objects a real nginx serves.
 */
class HttpProtocolContractTest extends ReadOnlyBlockFileContract {
    private static final AtomicInteger OBJECTS = new AtomicInteger();

    @TempDir
    static Path dir;
    private static Path www;
    private static Nginx nginx;
    private static BlockProtocol http;

    @BeforeAll
    static void serve() throws IOException {
        www = Files.createDirectories(dir.resolve("www"));
        nginx = Nginx.serve(www, dir.resolve("nginx"));
        http = ServiceLoader.load(BlockProtocol.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("http")).findFirst().orElseThrow();
    }

    @AfterAll
    static void stop() throws IOException {
        if (nginx != null) {
            nginx.close();
        }
    }

    @Override
    protected BlockFile openReadOnly(byte[] content) throws IOException {
        String name = "object" + OBJECTS.incrementAndGet() + ".img";
        Files.write(www.resolve(name), content);
        Options options = Options.of(http.parseFilename(nginx.url(name)), http.openOptions());
        return http.open(new ProtocolRequest(options, true, BlockFile.LockMode.SHARED));
    }
}
