package org.jblock.protocol.nullco;

/** QEMU's {@code null-co}: {@code null-co://} (see the module's description). */
public final class NullCoProtocol extends NullProtocol {

    public NullCoProtocol() {
        super("null-co");
    }
}
