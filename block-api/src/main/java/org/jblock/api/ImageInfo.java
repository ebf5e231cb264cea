package org.jblock.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an image says about itself.
 *
 * @param format         the driver's name, e.g. "vpc"
 * @param virtualSize    the virtual disk size in bytes
 * @param clusterSize    the allocation unit in bytes, or 0 when the format has none
 * @param formatSpecific the format's own fields, in display order; values are String, Number or
 *                       Boolean, keys are lower-case words joined by '-' (stable, for JSON)
 */
public record ImageInfo(String format, long virtualSize, long clusterSize, Map<String, Object> formatSpecific) {

    public ImageInfo {
        formatSpecific = Collections.unmodifiableMap(new LinkedHashMap<>(formatSpecific));
    }
}
