package org.jblock.api.spi.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;

/**
 * Connecting to a server (a TCP host and port, or a Unix socket) the way QEMU connects its network
 * protocols, failing in QEMU's words, which scripts compare: {@code address resolution failed for
 * HOST:PORT: Name or service not known}, {@code Failed to connect to 'HOST:PORT': Connection refused},
 * {@code Failed to connect to 'PATH': No such file or directory}. Every address a host name resolves
 * to is tried in turn, as QEMU does.
 */
public final class Sockets {

    private Sockets() {
    }

    /**
     * Connects to {@code address}: a {@link UnixDomainSocketAddress}, or an {@link InetSocketAddress}
     * (resolved or not; its host string is resolved here). TCP connections get {@code TCP_NODELAY}.
     *
     * @throws IOException in QEMU's words, naming the address
     */
    public static SocketChannel connect(SocketAddress address) throws IOException {
        if (address instanceof UnixDomainSocketAddress unix) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(unix);
                return channel;
            } catch (IOException e) {
                channel.close();
                throw new IOException("Failed to connect to '" + unix.getPath() + "': " + reason(e), e);
            }
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        return connect(inet.getHostString(), inet.getPort());
    }

    /**
     * Connects to {@code host} (a name or an address) on TCP {@code port}.
     *
     * @throws IOException in QEMU's words, naming {@code host:port}
     */
    public static SocketChannel connect(String host, int port) throws IOException {
        String where = host + ":" + port;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new IOException("address resolution failed for " + where + ": " + resolutionReason(host, e), e);
        }
        IOException last = null;
        for (InetAddress each : addresses) {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.connect(new InetSocketAddress(each, port));
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                return channel;
            } catch (IOException | RuntimeException e) {
                channel.close();
                last = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
        }
        throw new IOException("Failed to connect to '" + where + "': " + reason(last), last);
    }

    /** @return what the resolver said, without the host name the JDK puts in front */
    private static String resolutionReason(String host, UnknownHostException e) {
        String message = e.getMessage();
        if (message == null || message.equals(host)) {
            return "Name or service not known";
        }
        return message.startsWith(host + ": ") ? message.substring(host.length() + 2) : message;
    }

    /** @return the system's words for a failed connection, never a class name */
    public static String reason(IOException e) {
        String message = e == null ? null : e.getMessage();
        return message == null || message.isBlank() ? "Connection failed" : message;
    }
}
