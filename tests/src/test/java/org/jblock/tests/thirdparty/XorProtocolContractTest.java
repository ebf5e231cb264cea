package org.jblock.tests.thirdparty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.jblock.api.spi.BlockProtocol;
import org.jblock.tests.contract.BlockProtocolContract;
import org.jblock.tests.thirdparty.xor.XorProtocol;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** A third party's protocol passes the protocol contract kit as jblock's own do. */
class XorProtocolContractTest extends BlockProtocolContract {
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected BlockProtocol protocol() {
        return new XorProtocol();
    }

    @Override
    protected String store(byte[] content) throws IOException {
        byte[] encoded = content.clone();
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] ^= 0x5a;
        }
        Path file = dir.resolve("x" + FILES.incrementAndGet() + ".xor");
        Files.write(file, encoded);
        return "xor:" + file;
    }

    @Override
    protected String missing() {
        return "xor:" + dir.resolve("missing.xor");
    }

    @Override
    protected String missingIsNamedAs() {
        return dir.resolve("missing.xor").toString();
    }

    @Nested
    class Writing extends WritableFiles {
    }
}
