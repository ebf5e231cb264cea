package org.jblock.protocol.nbd;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.nbd.client.NbdConnection;

/**
 * QEMU's {@code nbd} driver: an export on an NBD server as the storage under an image. See the
 * module's description for the names and options it takes.
 */
public final class NbdProtocol implements BlockProtocol {
    /** The most connections one image makes ({@link #MULTI_CONN}). */
    static final int MAX_CONNECTIONS = 16;
    static final OptionSpec<String> SERVER_TYPE = OptionSpec.choice("server.type", null,
            "inet (TCP) or unix (a Unix socket)", "inet", "unix");
    static final OptionSpec<String> SERVER_HOST = OptionSpec.string("server.host", null, "the server's host name or address");
    static final OptionSpec<String> SERVER_PORT = OptionSpec.string("server.port", null, "the server's TCP port (default 10809)");
    static final OptionSpec<String> SERVER_PATH = OptionSpec.string("server.path", null, "the server's Unix socket");
    static final OptionSpec<String> EXPORT = OptionSpec.string("export", "", "the export's name (default: the empty name)");
    static final OptionSpec<Long> RECONNECT_DELAY = OptionSpec.integer("reconnect-delay", 0L,
            "seconds for which requests wait for a new connection when the server drops one (0: they fail at once)");
    static final OptionSpec<Long> OPEN_TIMEOUT = OptionSpec.integer("open-timeout", 0L,
            "seconds for which the first connection is tried again (0: one try)");
    static final OptionSpec<Long> MULTI_CONN = OptionSpec.integer("multi-conn", 2L,
            "connections a read-only image spreads its reads over when the server allows several"
                    + " (NBD_FLAG_CAN_MULTI_CONN); 1: one connection (a jblock option, not QEMU's)");
    static final OptionSpec<String> HOST = OptionSpec.string("host", null, "older name of server.host");
    static final OptionSpec<String> PORT = OptionSpec.string("port", null, "older name of server.port");
    static final OptionSpec<String> PATH = OptionSpec.string("path", null, "older name of server.path");

    @Override
    public String name() {
        return "nbd";
    }

    @Override
    public String description() {
        return "an export on an NBD server";
    }

    @Override
    public Set<String> prefixes() {
        return Set.of("nbd", "nbd+tcp", "nbd+unix");
    }

    @Override
    public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        return NbdAddress.parseFilename(filename);
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(SERVER_TYPE, SERVER_HOST, SERVER_PORT, SERVER_PATH, EXPORT, RECONNECT_DELAY, OPEN_TIMEOUT,
                MULTI_CONN, HOST, PORT, PATH);
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        Options options = request.options();
        NbdAddress address = NbdAddress.of(options.get(SERVER_TYPE),
                either(options.get(SERVER_HOST), options.get(HOST)),
                either(options.get(SERVER_PORT), options.get(PORT)),
                either(options.get(SERVER_PATH), options.get(PATH)),
                options.get(EXPORT));
        long multiConn = options.get(MULTI_CONN);
        if (multiConn < 1 || multiConn > MAX_CONNECTIONS) {
            throw new InvalidOptionException("Parameter '" + MULTI_CONN.name() + "' expects a number of connections from 1 to "
                    + MAX_CONNECTIONS);
        }
        Reconnector.Connect connect = () -> NbdConnection.open(address.socketAddress(), address.export(), address.uri());
        Reconnector connections = Reconnector.open(connect, seconds(options, OPEN_TIMEOUT),
                seconds(options, RECONNECT_DELAY));
        NbdConnection first = connections.connection();
        if (!request.readOnly() && first.isReadOnly()) {
            connections.close();
            throw new AccessDeniedException(address.uri(), null, "Permission denied: the NBD export is read-only");
        }
        ReadConnections more = request.readOnly() && first.canMultiConn() && multiConn > 1
                ? new ReadConnections(connect, (int) multiConn - 1, first) : null;
        return new NbdBlockFile(connections, more, address.uri(), request.readOnly());
    }

    private static Duration seconds(Options options, OptionSpec<Long> option) throws InvalidOptionException {
        long seconds = options.get(option);
        if (seconds < 0 || seconds > Integer.MAX_VALUE) {
            throw new InvalidOptionException("Parameter '" + option.name() + "' expects a number of seconds from 0 to "
                    + Integer.MAX_VALUE);
        }
        return Duration.ofSeconds(seconds);
    }

    private static String either(String value, String older) {
        return value != null ? value : older;
    }
}
