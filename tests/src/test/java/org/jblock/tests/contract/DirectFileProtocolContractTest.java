package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.jblock.api.spi.BlockProtocol;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local-file protocol with {@code cache.direct=on} (QEMU's cache modes none and directsync):
 * the whole kit on files read and written with {@code O_DIRECT}, whose unaligned requests the
 * protocol aligns itself.
 */
class DirectFileProtocolContractTest extends BlockProtocolContract {
    @TempDir
    Path dir;

    @Override
    protected BlockProtocol protocol() {
        return ImageStore.fileProtocol();
    }

    @Override
    protected Map<String, String> openOptions() {
        return Map.of(BlockProtocol.CACHE_DIRECT, "on");
    }

    @Override
    protected String store(byte[] content) throws IOException {
        return FileProtocolContractTest.store(dir, content);
    }

    @Override
    protected String missing() {
        return FileProtocolContractTest.missing(dir);
    }

    @Nested
    class Writing extends WritableFiles {
    }
}
