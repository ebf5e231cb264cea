package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;

/**
 * The storage of a salvaged image: bytes past the end of the file read as zeros, as QEMU reads a
 * file node past its end, so that a block or a fixed disk cut short by a truncation reads in full.
 */
final class ZerosPastEndBlockFile extends DelegatingBlockFile {

    ZerosPastEndBlockFile(BlockFile delegate) {
        super(delegate);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        int n = delegate.read(dst, position);
        if (n <= 0 && dst.hasRemaining() && position >= delegate.size()) {
            int zeros = dst.remaining();
            dst.put(new byte[zeros]);
            return zeros;
        }
        return n;
    }
}
