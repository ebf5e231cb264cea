package org.jblock.protocol.http;

import org.jblock.api.spi.BlockProtocol;

/** QEMU's {@code https} protocol: {@code https://} URLs and {@code driver=https,url=...}. */
public final class HttpsProtocol extends WebProtocol implements BlockProtocol {
    public HttpsProtocol() {
        super("https");
    }
}
