package org.jblock.protocol.nullco;

/** QEMU's {@code null-aio}: {@code null-aio://}, the same storage as {@code null-co} under its other name. */
public final class NullAioProtocol extends NullProtocol {

    public NullAioProtocol() {
        super("null-aio");
    }
}
