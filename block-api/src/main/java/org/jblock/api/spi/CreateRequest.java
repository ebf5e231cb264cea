package org.jblock.api.spi;

import java.util.Objects;

import org.jblock.api.BlockFile;
import org.jblock.api.BackingImage;
import org.jblock.api.Options;

/**
 * What {@link BlockDriver#create} is asked to make.
 *
 * @param file    the empty, writable storage to write the new image into
 * @param size    the virtual disk size asked for, in bytes (a driver may round it up, and says so
 *                through the image it then opens)
 * @param options values of the driver's {@link BlockDriver#createOptions()}, already checked
 * @param backing the backing image the new image is to have (open read-only; the registry closes
 *                it after the create), or null; only for drivers that
 *                {@linkplain BlockDriver#supportsBacking() support backing files}
 */
public record CreateRequest(BlockFile file, long size, Options options, BackingImage backing) {

    public CreateRequest {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
    }

    /** A request for an image that stands alone. */
    public CreateRequest(BlockFile file, long size, Options options) {
        this(file, size, options, null);
    }
}
