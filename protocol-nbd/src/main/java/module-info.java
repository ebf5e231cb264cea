/**
 * The NBD protocol ({@code nbd}, QEMU's NBD client driver): images on an NBD server (qemu-nbd,
 * nbdkit, jblock-nbd), any format on top. Provides {@link org.jblock.api.spi.BlockProtocol};
 * exports nothing. Speaks through the client connection of {@code org.jblock.nbd}, whose wire
 * codec the server shares.
 *
 * <h2>Names</h2>
 * {@code nbd://HOST[:PORT]/[EXPORT]} (also {@code nbd+tcp://}; port 10809 by default),
 * {@code nbd+unix:///[EXPORT]?socket=PATH}, and QEMU's {@code nbd:HOST:PORT[:exportname=NAME]} and
 * {@code nbd:unix:PATH[:exportname=NAME]}.
 *
 * <h2>Options</h2>
 * QEMU's keys: {@code server.type=inet|unix}, {@code server.host}, {@code server.port},
 * {@code server.path}, {@code export}, and the older flat {@code host}, {@code port}, {@code path}.
 * {@code open-timeout=SECONDS} tries the first connection again until the server is there, for that
 * long; {@code reconnect-delay=SECONDS}: when the server drops the connection, requests wait that
 * long for a new one (the export must keep its size) and are sent again on it, then fail at once
 * until a try succeeds. Both are 0 by default: one try, and requests fail with the connection.
 * {@code multi-conn=N} (jblock's, not QEMU's; default 2): a read-only image whose server allows
 * several connections ({@code NBD_FLAG_CAN_MULTI_CONN}) spreads reads that overlap over up to N,
 * made in the background once reads overlap; a refused one is done without. 1: one connection.
 *
 * <h2>Limits</h2>
 * An export has a fixed size: writes past its end and resizing are refused. Holes are known where
 * the server offers {@code base:allocation}; zero writes and discards reach the server where it
 * offers them. No TLS.
 */
module org.jblock.protocol.nbd {
    requires org.jblock.api;
    requires org.jblock.nbd;

    provides org.jblock.api.spi.BlockProtocol with org.jblock.protocol.nbd.NbdProtocol;
}
