package org.jblock.registry;

import org.jblock.api.BlockException;

/** A format name that no registered driver has; the message lists the names that exist. */
public final class UnknownFormatException extends BlockException {
    private static final long serialVersionUID = 1L;

    UnknownFormatException(String message) {
        super(message);
    }
}
