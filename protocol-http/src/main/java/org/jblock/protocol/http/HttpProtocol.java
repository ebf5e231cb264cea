package org.jblock.protocol.http;

import org.jblock.api.spi.BlockProtocol;

/** QEMU's {@code http} protocol: {@code http://} URLs and {@code driver=http,url=...}. */
public final class HttpProtocol extends WebProtocol implements BlockProtocol {
    public HttpProtocol() {
        super("http");
    }
}
