package org.jblock.protocol.blkdebug;

import java.io.IOException;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockFilter;
import org.jblock.api.spi.FilterRequest;

/**
 * {@code blkdebug} above a format ({@code driver=blkdebug,image.driver=vpc,image.file.filename=...},
 * QEMU's way to fail a format node's requests, block status among them): the same options and
 * rules as {@link BlkdebugProtocol}, applied to the virtual disk ({@link BlkdebugImage}).
 */
public final class BlkdebugFilter implements BlockFilter {
    @Override
    public String name() {
        return BlkdebugProtocol.NAME;
    }

    @Override
    public String description() {
        return "fault injection above a format (QEMU's blkdebug rules)";
    }

    @Override
    public String child() {
        return BlkdebugProtocol.CHILD;
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return BlkdebugProtocol.allOptions();
    }

    @Override
    public BlockImage open(FilterRequest request) throws IOException {
        return new BlkdebugImage(request.child(), BlkdebugProtocol.injector(request.options()));
    }
}
