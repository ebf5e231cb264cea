/**
 * The driver registry: finds every {@link org.jblock.api.spi.BlockDriver} through
 * {@link java.util.ServiceLoader}, picks an image's format by probing, opens and creates images, and
 * locks image files against a second writer.
 *
 * <p>It names no driver class; drivers are found, never linked. Depends on the JDK and
 * {@code org.jblock.api} alone; problems with drivers are logged through {@link java.lang.System.Logger}.
 */
module org.jblock.registry {
    requires transitive org.jblock.api;

    exports org.jblock.registry;

    uses org.jblock.api.spi.BlockDriver;
}
