/**
 * The local-file protocol ({@code file}, QEMU's file-posix): regular files and block devices,
 * with QEMU's image locks; and QEMU's {@code host_device} and {@code host_cdrom} for character and
 * block devices. Provides {@link org.jblock.api.spi.BlockProtocol}; exports nothing.
 */
module org.jblock.protocol.file {
    requires org.jblock.api;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.file.FileProtocol,
            org.jblock.protocol.file.HostDeviceProtocol, org.jblock.protocol.file.HostCdromProtocol;
}
