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
 */
public record OpenRequest(BlockFile file, boolean readOnly, Options options) {

    public OpenRequest {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
    }

    /** A request with no options, read-only as the file is. */
    public static OpenRequest of(BlockFile file) {
        return new OpenRequest(file, file.isReadOnly(), Options.EMPTY);
    }
}
