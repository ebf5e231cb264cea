package org.jblock.protocol.nbd;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jblock.api.InvalidOptionException;

/**
 * Where an export is: a TCP host and port or a Unix socket, and the export's name. Parsed from
 * QEMU's filename forms and options, and shown as QEMU shows it ({@code nbd+unix:///x?socket=/s},
 * {@code nbd://host:port/x}).
 */
record NbdAddress(String host, int port, String socket, String export) {
    static final int DEFAULT_PORT = 10809;

    /** @return QEMU's options for an NBD filename ({@code server.type}, {@code server.host}, ..., {@code export}) */
    static Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        if (filename.startsWith("nbd:") && !filename.startsWith("nbd://")) {
            return legacy(filename);
        }
        URI uri;
        try {
            uri = new URI(filename);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException("No valid URL specified: " + e.getMessage());
        }
        String scheme = uri.getScheme();
        boolean unix = "nbd+unix".equals(scheme);
        if (!unix && !"nbd".equals(scheme) && !"nbd+tcp".equals(scheme)) {
            throw new InvalidOptionException("No valid URL specified: '" + filename + "'");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String export = path.startsWith("/") ? path.substring(1) : path;
        Map<String, String> options = new LinkedHashMap<>();
        if (unix) {
            String query = uri.getQuery();
            if (uri.getHost() != null || uri.getPort() != -1 || query == null || !query.startsWith("socket=")
                    || query.contains("&")) {
                throw new InvalidOptionException("No valid URL specified: '" + filename
                        + "' (nbd+unix takes no host or port and exactly one parameter, socket=PATH)");
            }
            options.put("server.type", "unix");
            options.put("server.path", query.substring("socket=".length()));
        } else {
            if (uri.getQuery() != null) {
                throw new InvalidOptionException("No valid URL specified: '" + filename + "' (nbd:// takes no parameters)");
            }
            String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw new InvalidOptionException("No valid URL specified: '" + filename + "' (no host)");
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            options.put("server.type", "inet");
            options.put("server.host", host);
            options.put("server.port", Integer.toString(uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort()));
        }
        options.put("export", export);
        return options;
    }

    /** {@code nbd:unix:PATH[:exportname=NAME]} and {@code nbd:HOST:PORT[:exportname=NAME]}. */
    private static Map<String, String> legacy(String filename) throws InvalidOptionException {
        String rest = filename.substring("nbd:".length());
        String export = "";
        int named = rest.indexOf(":exportname=");
        if (named >= 0) {
            export = rest.substring(named + ":exportname=".length());
            rest = rest.substring(0, named);
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (rest.startsWith("unix:")) {
            options.put("server.type", "unix");
            options.put("server.path", rest.substring("unix:".length()));
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                throw new InvalidOptionException("No valid URL specified: '" + filename
                        + "' (nbd:HOST:PORT or nbd:unix:PATH)");
            }
            options.put("server.type", "inet");
            options.put("server.host", rest.substring(0, colon));
            options.put("server.port", rest.substring(colon + 1));
        }
        options.put("export", export);
        return options;
    }

    /** @return the address the options name, checked */
    static NbdAddress of(String type, String host, String port, String path, String export) throws InvalidOptionException {
        String kind = type != null ? type : path != null ? "unix" : "inet";
        String name = export == null ? "" : export;
        if (kind.equals("unix")) {
            if (path == null || path.isEmpty()) {
                throw new InvalidOptionException("NBD server address missing: server.path (the Unix socket) is required");
            }
            return new NbdAddress(null, 0, path, name);
        }
        if (!kind.equals("inet")) {
            throw new InvalidOptionException("Unsupported NBD server type '" + kind + "' (inet or unix)");
        }
        if (host == null || host.isEmpty()) {
            throw new InvalidOptionException("NBD server address missing: server.host is required");
        }
        int number;
        try {
            number = port == null ? DEFAULT_PORT : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new InvalidOptionException("Invalid NBD port '" + port + "'");
        }
        if (number < 1 || number > 65535) {
            throw new InvalidOptionException("Invalid NBD port '" + port + "'");
        }
        return new NbdAddress(host, number, null, name);
    }

    SocketAddress socketAddress() {
        return socket != null ? UnixDomainSocketAddress.of(socket) : InetSocketAddress.createUnresolved(host, port);
    }

    /** @return the name QEMU shows for this export */
    String uri() {
        if (socket != null) {
            return "nbd+unix://" + (export.isEmpty() ? "" : "/" + export) + "?socket=" + socket;
        }
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        return "nbd://" + shownHost + ":" + port + (export.isEmpty() ? "" : "/" + export);
    }
}
