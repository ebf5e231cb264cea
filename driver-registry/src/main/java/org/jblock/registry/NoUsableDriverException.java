package org.jblock.registry;

import java.util.List;

import org.jblock.api.BlockException;

/**
 * No driver opened an image whose format was to be probed: none recognised it, or every driver that
 * recognised it failed. The message lists each driver's reason; each reason is also attached as a
 * {@linkplain #getSuppressed() suppressed} exception.
 */
public final class NoUsableDriverException extends BlockException {
    private static final long serialVersionUID = 1L;

    NoUsableDriverException(String message, List<? extends Throwable> reasons) {
        super(message);
        reasons.forEach(this::addSuppressed);
    }
}
