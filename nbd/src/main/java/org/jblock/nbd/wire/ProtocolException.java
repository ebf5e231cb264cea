package org.jblock.nbd.wire;

import java.io.IOException;

/** The peer sent something the NBD protocol does not allow; the connection cannot continue. */
public class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
