/**
 * The Network Block Device protocol: its wire codec ({@code org.jblock.nbd.wire}, every message
 * structure with one decoder and one encoder, shared by the server here and the NBD client
 * protocol) and an NBD server that serves any {@link org.jblock.api.BlockImage}
 * ({@link org.jblock.nbd.NbdServer}), usable from Java without the {@code jblock-nbd} command.
 *
 * <p>Depends on the JDK and {@code org.jblock.api} alone: the caller opens the image (through the
 * registry, which takes the image's lock) and hands it to the server.
 */
module org.jblock.nbd {
    requires transitive org.jblock.api;

    exports org.jblock.nbd;
}
