/**
 * The driver registry: finds every {@link org.jblock.api.spi.BlockDriver} (format) and
 * {@link org.jblock.api.spi.BlockProtocol} (storage) through {@link java.util.ServiceLoader}, turns
 * QEMU-style image names and options into a protocol and a format, picks an image's format by
 * probing, opens and creates images, with their storage locked against a second writer.
 *
 * <p>It names no driver or protocol class; they are found, never linked. Depends on the JDK and
 * {@code org.jblock.api} alone; problems with drivers are logged through {@link java.lang.System.Logger}.
 */
module org.jblock.registry {
    requires transitive org.jblock.api;

    exports org.jblock.registry;

    uses org.jblock.api.spi.BlockDriver;
    uses org.jblock.api.spi.BlockProtocol;
    uses org.jblock.api.spi.BlockFilter;
}
