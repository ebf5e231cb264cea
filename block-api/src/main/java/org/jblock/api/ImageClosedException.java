package org.jblock.api;

/** An image (or block file) was used after {@code close()}. */
public class ImageClosedException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    public ImageClosedException(String name) {
        super(name + ": image is closed");
    }
}
