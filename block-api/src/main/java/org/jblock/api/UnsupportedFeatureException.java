package org.jblock.api;

/**
 * A valid request or image that this driver, image or version cannot serve: an optional ability
 * the driver lacks (resize, check, create), an image subformat it does not implement yet, or a
 * feature flag it does not know.
 */
public class UnsupportedFeatureException extends BlockException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFeatureException(String message) {
        super(message);
    }
}
