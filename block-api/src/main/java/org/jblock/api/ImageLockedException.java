package org.jblock.api;

/**
 * The image is in use: another writer (in this process or another) holds the lock that this open
 * needs. The message follows QEMU's: {@code Failed to get "write" lock}.
 */
public class ImageLockedException extends BlockException {
    private static final long serialVersionUID = 1L;

    public ImageLockedException(String message) {
        super(message);
    }
}
