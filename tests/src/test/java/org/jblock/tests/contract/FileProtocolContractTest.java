package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.BlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.junit.jupiter.api.io.TempDir;

/** The local-file protocol, reached as any third party would: through ServiceLoader and the SPI. */
class FileProtocolContractTest extends BlockFileContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    private final BlockProtocol protocol = ImageStore.fileProtocol();

    @Override
    protected BlockFile newFile(byte[] content) throws IOException {
        Path path = dir.resolve("file" + FILES.incrementAndGet() + ".img");
        Files.write(path, content);
        return open(path.toString(), false);
    }

    @Override
    protected BlockFile reopenReadOnly(BlockFile file) throws IOException {
        return open(file.location(), true);
    }

    private BlockFile open(String filename, boolean readOnly) throws IOException {
        Options options = Options.of(Map.of("filename", filename), protocol.openOptions());
        return protocol.open(new ProtocolRequest(options, readOnly, BlockFile.LockMode.NONE));
    }
}
