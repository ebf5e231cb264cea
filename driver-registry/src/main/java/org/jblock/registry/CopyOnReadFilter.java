package org.jblock.registry;

import java.io.IOException;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.layer.CopyOnRead;
import org.jblock.api.spi.BlockFilter;
import org.jblock.api.spi.FilterRequest;

/** QEMU's {@code copy-on-read} filter ({@code driver=copy-on-read,file.driver=vpc,...}): {@link CopyOnRead} as a node. */
final class CopyOnReadFilter implements BlockFilter {
    @Override
    public String name() {
        return "copy-on-read";
    }

    @Override
    public String description() {
        return "copies what reads find in backing images into the top image";
    }

    @Override
    public String child() {
        return "file";
    }

    @Override
    public BlockImage open(FilterRequest request) throws IOException {
        if (request.readOnly() || request.child().isReadOnly()) {
            throw new InvalidOptionException("Block node is read-only");
        }
        return CopyOnRead.over(request.child());
    }
}
