package org.jblock.tests.thirdparty.tiny;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/**
 * "tiny", a made-up format written as a third party would write a driver: a {@value TinyHeader#SIZE}-byte
 * header with its own magic ({@link TinyHeader}), then the disk. It lives in test sources, registered
 * in {@code META-INF/services} like a real driver (and, as a module, through a {@code provides} line
 * that the module-path test compiles), and proves that a format plugs in with no change to jblock:
 * the registry finds it, its probe wins for its files, and it passes the contract kit.
 */
public final class TinyDriver implements BlockDriver {
    static final String NAME = "tiny";

    public TinyDriver() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "tiny test format: a checksummed header, then the disk";
    }

    @Override
    public int probe(ProbeInput input) {
        return TinyHeader.startsWithMagic(input.head()) ? PROBE_CERTAIN : 0;
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        BlockFile file = request.file();
        long fileSize = file.size();
        if (fileSize < TinyHeader.SIZE) {
            throw new CorruptImageException(file.name(), "tiny header", null, 0, "File too short for the header",
                    TinyHeader.SIZE + " bytes", fileSize + " bytes");
        }
        ByteBuffer header = ByteBuffer.allocate(TinyHeader.SIZE);
        file.readFully(header, 0);
        return new TinyImage(file, request.readOnly(), TinyHeader.decode(header, file.name(), fileSize));
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        long size = request.size();
        if (size < 0 || size > Long.MAX_VALUE - TinyHeader.SIZE) {
            throw new InvalidOptionException("Invalid tiny disk size " + size);
        }
        request.file().write(new TinyHeader(size).encode(), 0);
        request.file().truncate(TinyHeader.SIZE + size);
    }
}
