package org.jblock.api;

/**
 * A request the image refuses as given: a range beyond the virtual size, a negative offset or
 * length, a write to a read-only image, a use after close. The image is unchanged.
 */
public class InvalidRequestException extends BlockException {
    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }
}
