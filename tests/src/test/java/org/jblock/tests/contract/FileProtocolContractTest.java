package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.spi.BlockProtocol;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The local-file protocol, reached as any third party would: through ServiceLoader and the SPI. */
class FileProtocolContractTest extends BlockProtocolContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected BlockProtocol protocol() {
        return ImageStore.fileProtocol();
    }

    @Override
    protected String store(byte[] content) throws IOException {
        return store(dir, content);
    }

    @Override
    protected String missing() {
        return missing(dir);
    }

    /** Writes {@code content} to a new file in {@code dir}. @return its path */
    static String store(Path dir, byte[] content) throws IOException {
        Path path = dir.resolve("file" + FILES.incrementAndGet() + ".img");
        Files.write(path, content);
        return path.toString();
    }

    static String missing(Path dir) {
        return dir.resolve("missing.img").toString();
    }

    @Nested
    class Writing extends WritableFiles {
    }
}
