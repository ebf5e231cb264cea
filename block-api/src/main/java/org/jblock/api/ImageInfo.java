package org.jblock.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What an image says about itself.
 *
 * @param format         the driver's name, e.g. "vpc"
 * @param virtualSize    the virtual disk size in bytes
 * @param clusterSize    the allocation unit in bytes, or 0 when the format has none
 * @param formatSpecific the format's own fields, in display order; values are String, Number or
 *                       Boolean, keys are lower-case words joined by '-' (stable, for JSON)
 * @param backing        the image's backing file, when its format has one and this image names one
 */
public record ImageInfo(String format, long virtualSize, long clusterSize, Map<String, Object> formatSpecific,
                        Optional<Backing> backing) {

    /**
     * The backing file an image names (QEMU's {@code backing-filename}, {@code full-backing-filename}
     * and {@code backing-filename-format}).
     *
     * @param name     the name as stored in the image
     * @param resolved where it was found (the name resolved against the image's own location), or the
     *                 stored name when the backing image is not open
     * @param format   the backing image's format, or null when it is not known
     */
    public record Backing(String name, String resolved, String format) {
    }

    public ImageInfo {
        formatSpecific = Collections.unmodifiableMap(new LinkedHashMap<>(formatSpecific));
        backing = backing == null ? Optional.empty() : backing;
    }

    /** An image without a backing file. */
    public ImageInfo(String format, long virtualSize, long clusterSize, Map<String, Object> formatSpecific) {
        this(format, virtualSize, clusterSize, formatSpecific, Optional.empty());
    }
}
