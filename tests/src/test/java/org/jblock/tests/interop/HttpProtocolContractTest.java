package org.jblock.tests.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.spi.BlockProtocol;
import org.jblock.tests.contract.BlockProtocolContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The http protocol, reached as any third party would (ServiceLoader, the SPI), passes the read-only
 * protocol kit, as a protocol that only reads, on objects a real nginx serves.
 */
class HttpProtocolContractTest extends BlockProtocolContract {
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
    protected BlockProtocol protocol() {
        return http;
    }

    @Override
    protected String store(byte[] content) throws IOException {
        String name = "object" + OBJECTS.incrementAndGet() + ".img";
        Files.write(www.resolve(name), content);
        return nginx.url(name);
    }

    @Override
    protected String missing() {
        return nginx.url("missing.img");
    }
}
