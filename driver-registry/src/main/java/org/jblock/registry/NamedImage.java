package org.jblock.registry;

import java.util.Optional;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * An image that goes by another name than its file's: the {@code json:} name QEMU gives an image
 * opened with options that change what it presents (raw's {@code offset}), which its file's name
 * alone would not open again.
 */
final class NamedImage extends DelegatingBlockImage {
    private final String name;

    NamedImage(BlockImage image, String name) {
        super(image);
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The image's own storage: a name changes nothing it reads. */
    @Override
    public Optional<BlockFile> hostStorage() {
        return delegate.hostStorage();
    }
}
