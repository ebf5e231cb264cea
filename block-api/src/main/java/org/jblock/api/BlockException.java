package org.jblock.api;

import java.io.IOException;

/**
 * The root of every error jblock reports about an image, a request or an option.
 *
 * <p>Messages are written for a person reading them in a shell: they name the file or the option,
 * say what is wrong, and never need a stack trace to be understood.
 */
public class BlockException extends IOException {
    private static final long serialVersionUID = 1L;

    public BlockException(String message) {
        super(message);
    }

    public BlockException(String message, Throwable cause) {
        super(message, cause);
    }
}
