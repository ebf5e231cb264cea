package org.jblock.protocol.file;

/** QEMU's {@code host_cdrom}: a character or block device, with no media handling (see {@link DeviceProtocol}). */
public final class HostCdromProtocol extends DeviceProtocol {

    public HostCdromProtocol() {
        super("host_cdrom");
    }
}
