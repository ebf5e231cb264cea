package org.jblock.protocol.file;

/** QEMU's {@code host_device}: a character or block device (see {@link DeviceProtocol}). */
public final class HostDeviceProtocol extends DeviceProtocol {

    public HostDeviceProtocol() {
        super("host_device");
    }
}
