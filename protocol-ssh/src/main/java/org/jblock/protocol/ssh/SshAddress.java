package org.jblock.protocol.ssh;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.InvalidOptionException;

/**
 * Where an image on an SSH server is: host, port (null: the client's default, 22 or its config's),
 * user (null: the client's default), the file's path, and whether the host key is checked. Parsed
 * from QEMU's {@code ssh://} filenames and options, and shown as such a filename.
 */
record SshAddress(String host, Integer port, String user, String path, boolean checkHostKey) {
    static final int DEFAULT_PORT = 22;

    /** @return QEMU's options for {@code ssh://[user@]host[:port]/path[?host_key_check=...]} */
    static Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        URI uri;
        try {
            uri = new URI(filename);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException("Invalid URI: " + e.getMessage());
        }
        if (!"ssh".equals(uri.getScheme()) || uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidOptionException("Invalid URI: '" + filename + "' (ssh://[USER@]HOST[:PORT]/PATH)");
        }
        if (uri.getPath() == null || uri.getPath().isEmpty()) {
            throw new InvalidOptionException("Invalid URI: '" + filename + "' has no path");
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (uri.getUserInfo() != null) {
            options.put("user", uri.getUserInfo());
        }
        String host = uri.getHost();
        options.put("server.host", host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host);
        if (uri.getPort() != -1) {
            options.put("server.port", Integer.toString(uri.getPort()));
        }
        options.put("path", uri.getPath());
        String query = uri.getQuery();
        if (query != null) {
            if (!query.startsWith("host_key_check=") || query.contains("&")) {
                throw new InvalidOptionException("Invalid URI: the only query parameter is host_key_check");
            }
            options.put("host_key_check", query.substring("host_key_check=".length()));
        }
        return options;
    }

    /**
     * @return the address the options name, checked
     * @param port as given: a number in text (QEMU takes {@code "0"} as well as {@code 0})
     * @param hostKeyCheck {@code none} or {@code known_hosts}
     */
    static SshAddress of(String host, String port, String user, String path, String hostKeyCheck)
            throws InvalidOptionException {
        if (host == null || host.isEmpty()) {
            throw new InvalidOptionException("Parameter 'server.host' is missing");
        }
        if (path == null || path.isEmpty()) {
            throw new InvalidOptionException("Parameter 'path' is missing");
        }
        Integer number = null;
        if (port != null) {
            try {
                number = Integer.valueOf(port.trim());
            } catch (NumberFormatException e) {
                throw new InvalidOptionException("Parameter 'port' expects a number");
            }
        }
        return new SshAddress(host, number, user, path, !"none".equals(hostKeyCheck));
    }

    /** @return the TCP port the connection goes to, unless the client's config says otherwise */
    int portOrDefault() {
        return port == null ? DEFAULT_PORT : port;
    }

    /** @return the {@code ssh} command that starts an SFTP session with the server */
    List<String> command(List<String> ssh) {
        List<String> command = new ArrayList<>(ssh);
        // Batch mode: the client's standard streams carry SFTP, so it must never ask on the terminal.
        command.addAll(List.of("-o", "BatchMode=yes", "-T", "-x", "-a"));
        if (!checkHostKey) {
            command.addAll(List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"));
        }
        if (port != null) {
            command.addAll(List.of("-p", Integer.toString(port)));
        }
        if (user != null) {
            command.addAll(List.of("-l", user));
        }
        command.addAll(List.of("-s", "--", host, "sftp"));
        return command;
    }

    /** @return the filename that names this file again */
    String uri() {
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        return "ssh://" + (user == null ? "" : user + "@") + shownHost + (port == null ? "" : ":" + port)
                + (path.startsWith("/") ? "" : "/") + path + (checkHostKey ? "" : "?host_key_check=no");
    }
}
