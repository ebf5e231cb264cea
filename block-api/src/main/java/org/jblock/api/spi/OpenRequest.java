package org.jblock.api.spi;

import java.util.Objects;

import org.jblock.api.BlockFile;
import org.jblock.api.Options;

/**
 * What {@link BlockDriver#open} is asked to open.
 *
 * @param file     the storage holding the image; read-only when {@code readOnly}
 * @param readOnly whether the image must refuse writes (and never write, even metadata)
 * @param options  values of the driver's {@link BlockDriver#openOptions()}, already checked
 * @param backing  how to open the image's backing image, for formats that have one
 */
public record OpenRequest(BlockFile file, boolean readOnly, Options options, BackingOpener backing) {

    public OpenRequest {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(backing, "backing");
    }

    /** A request that cannot open backing images. */
    public OpenRequest(BlockFile file, boolean readOnly, Options options) {
        this(file, readOnly, options, BackingOpener.NONE);
    }

    /** A request with no options, read-only as the file is. */
    public static OpenRequest of(BlockFile file) {
        return new OpenRequest(file, file.isReadOnly(), Options.EMPTY);
    }
}
