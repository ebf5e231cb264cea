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
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ssh protocol, reached as any third party would (ServiceLoader, the SPI), passes the protocol
 * kit on files that a real OpenSSH server, started by the test on 127.0.0.1, serves over SFTP.
 */
class SshProtocolContractTest extends BlockProtocolContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    static Path dir;
    private static Sshd sshd;

    private final BlockProtocol protocol = ServiceLoader.load(BlockProtocol.class).stream()
            .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("ssh")).findFirst().orElseThrow();

    @BeforeAll
    static void startServer() throws IOException {
        sshd = Sshd.start(dir.resolve("sshd"));
        System.setProperty("jblock.ssh.command", sshd.clientCommand());
    }

    @AfterAll
    static void stopServer() throws IOException {
        System.clearProperty("jblock.ssh.command");
        if (sshd != null) {
            sshd.close();
        }
    }

    @Override
    protected BlockProtocol protocol() {
        return protocol;
    }

    @Override
    protected String store(byte[] content) throws IOException {
        Path file = dir.resolve("file" + FILES.incrementAndGet() + ".img");
        Files.write(file, content);
        return sshd.uri(file);
    }

    @Override
    protected String missing() {
        return sshd.uri(dir.resolve("missing.img"));
    }

    @Nested
    class Writing extends WritableFiles {
    }
}
