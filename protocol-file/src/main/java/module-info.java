/**
 * The local-file protocol ({@code file}, QEMU's file-posix): regular files and block devices,
 * with QEMU's image locks and {@code O_DIRECT} for {@code cache.direct=on}; and QEMU's {@code host_device} and {@code host_cdrom} for character and
 * block devices. Provides {@link org.jblock.api.spi.BlockProtocol}; exports nothing.
 */
module org.jblock.protocol.file {
    requires org.jblock.api;
    /** {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}: {@code O_DIRECT} for {@code cache.direct=on}. */
    requires jdk.unsupported;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.file.FileProtocol,
            org.jblock.protocol.file.HostDeviceProtocol, org.jblock.protocol.file.HostCdromProtocol;
}
