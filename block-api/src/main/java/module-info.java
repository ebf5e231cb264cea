/**
 * The jblock contract: what users call ({@code org.jblock.api}, and layers any caller can stack over
 * any image in {@code org.jblock.api.layer}) and what format drivers implement
 * ({@code org.jblock.api.spi}, with helpers in {@code org.jblock.api.spi.support}).
 *
 * <p>Depends on the JDK alone. Drivers {@code provides org.jblock.api.spi.BlockDriver}; the
 * registry {@code uses} it.
 */
module org.jblock.api {
    exports org.jblock.api;
    exports org.jblock.api.layer;
    exports org.jblock.api.spi;
    exports org.jblock.api.spi.support;
}
