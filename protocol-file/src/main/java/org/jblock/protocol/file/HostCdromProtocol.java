package org.jblock.protocol.file;

/** QEMU's {@code host_cdrom}: a character or block device (see {@link DeviceProtocol}); no media handling. */
public final class HostCdromProtocol extends DeviceProtocol {
    public HostCdromProtocol() {
        super("host_cdrom");
    }
}
