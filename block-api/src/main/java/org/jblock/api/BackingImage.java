package org.jblock.api;

import java.util.Objects;

/**
 * A backing image a layered image is to record: given when an image is created over it and when an
 * image is re-pointed at it ({@link BlockImage#changeBacking}).
 *
 * @param name     the name to record, as the user gave it: a relative name is relative to the
 *                 layered image's own file
 * @param location the backing image's absolute location
 * @param image    the backing image, open, for the identity a format records (size, UUID...)
 */
public record BackingImage(String name, String location, BlockImage image) {

    public BackingImage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(image, "image");
    }
}
