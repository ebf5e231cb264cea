/**
 * The Network Block Device protocol: its wire codec ({@code org.jblock.nbd.wire}, every message
 * structure with one decoder and one encoder), an NBD server that serves any
 * {@link org.jblock.api.BlockImage} ({@link org.jblock.nbd.NbdServer}, usable from Java without the
 * {@code jblock-nbd} command), and the client connection ({@code org.jblock.nbd.client}) that the
 * NBD protocol module {@code org.jblock.protocol.nbd} opens images through. Server and client share
 * the codec; only the server is exported to everybody.
 *
 * <p>Depends on the JDK and {@code org.jblock.api} alone: the caller opens the image (through the
 * registry, which takes the image's lock) and hands it to the server.
 */
module org.jblock.nbd {
    requires transitive org.jblock.api;

    exports org.jblock.nbd;
    // The NBD client protocol speaks through the client connection and the one codec.
    exports org.jblock.nbd.client to org.jblock.protocol.nbd;
    exports org.jblock.nbd.wire to org.jblock.protocol.nbd;
}
