package org.jblock.nbd;

import java.util.Objects;

import org.jblock.api.BlockImage;

/**
 * An image served under a name. The export is read-only when the image is; a writable image should
 * have been opened through the registry, which holds its write lock while it is served.
 *
 * @param name        what clients ask for ({@code ""} is the default export); at most 4096 bytes
 * @param description shown by clients that list exports, or {@code null}
 * @param image       the image; the server never closes it
 */
public record NbdExport(String name, String description, BlockImage image) {

    public NbdExport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("export name '" + name + "' too long");
        }
    }

    public static NbdExport of(String name, BlockImage image) {
        return new NbdExport(name, null, image);
    }

    public NbdExport withDescription(String newDescription) {
        return new NbdExport(name, newDescription, image);
    }
}
