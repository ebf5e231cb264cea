package org.jblock.tests.thirdparty.tiny;

import java.io.IOException;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/** A third-party driver that claims the built-in name "vpc", which the registry refuses. */
public final class ImpostorDriver implements BlockDriver {
    public ImpostorDriver() {
    }

    @Override
    public String name() {
        return "vpc";
    }

    @Override
    public int probe(ProbeInput input) {
        return 0;
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        throw new BlockException("an impostor opens nothing");
    }
}
