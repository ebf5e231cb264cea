package org.jblock.api.spi;

import java.util.Objects;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Options;

/**
 * What {@link BlockDriver#create} is asked to make.
 *
 * @param file    the empty, writable storage to write the new image into
 * @param size    the virtual disk size asked for, in bytes (a driver may round it up, and says so
 *                through the image it then opens)
 * @param options values of the driver's {@link BlockDriver#createOptions()}, already checked
 * @param backing the backing image the new image is to have, or null; only for drivers that
 *                {@linkplain BlockDriver#supportsBacking() support backing files}
 */
public record CreateRequest(BlockFile file, long size, Options options, Backing backing) {

    /**
     * The backing image of a new layered image, opened by the registry (read-only; the registry
     * closes it after the create).
     *
     * @param name     the name as the user gave it: relative names are relative to the new image
     * @param location the backing image's absolute location
     * @param image    the backing image, open, for the identity a format records (size, UUID...)
     */
    public record Backing(String name, String location, BlockImage image) {
        public Backing {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(image, "image");
        }
    }

    public CreateRequest {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
    }

    /** A request for an image that stands alone. */
    public CreateRequest(BlockFile file, long size, Options options) {
        this(file, size, options, null);
    }
}
