package org.jblock.api;

/** A write, resize or repair was asked of an image opened read-only. */
public class ReadOnlyImageException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyImageException(String name) {
        super(name + ": Block node is read-only");
    }
}
