package org.jblock.protocol.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 connection to one origin, used by one request at a time: it writes a request, reads
 * the head of the answer and then its body straight into the caller's arrays. Blocking sockets with
 * the read timeout as the "no progress" limit: the JDK's {@code HttpClient} hands each 16 KiB of a
 * body through several threads, which costs more than the transfer itself on a fast network.
 *
 * <p>A proxy that the JDK's default {@link ProxySelector} names for the URL ({@code -Dhttp.proxyHost},
 * {@code -Dhttps.proxyHost}, {@code -Djava.net.useSystemProxies=true}) carries the requests: plain
 * http ones in absolute form, https ones through a {@code CONNECT} tunnel.
 *
 * <p>After an answer whose body was read whole (by its {@code Content-Length} or its chunks), the
 * connection may serve the next request ({@link #reusable()}); every other answer leaves it to be
 * closed.
 */
final class Connection implements AutoCloseable {
    /** The most a head (status line and header fields) may be: a server that sends more is broken. */
    private static final int MAX_HEAD = 64 << 10;
    /**
     * Small, so that a body's bytes mostly go from the socket straight into the caller's arrays
     * (a buffered stream reads directly into reads at least as long as its buffer).
     */
    private static final int BUFFER = 8 << 10;

    /**
     * The status and header fields of an answer, and how its body is framed.
     *
     * @param http10 whether the server answered in HTTP/1.0 (which closes connections unless told not to)
     */
    record Head(int status, boolean http10, HttpHeaders headers) {
        /** @return the body's length from {@code Content-Length}, or -1 when chunked or unknown */
        long contentLength() {
            if (chunked()) {
                return -1;
            }
            String value = headers.firstValue("Content-Length").orElse("").trim();
            return isDigits(value, 18) ? Long.parseLong(value) : -1;
        }

        boolean chunked() {
            return headers.firstValue("Transfer-Encoding").orElse("").toLowerCase(Locale.ROOT).contains("chunked");
        }
    }

    /** @return whether {@code text} is 1 to {@code most} decimal digits (cheaper than a regular expression per answer) */
    static boolean isDigits(String text, int most) {
        if (text.isEmpty() || text.length() > most) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private final String origin;
    /** Whether requests name the whole URL (plain http through a proxy). */
    private final boolean absoluteForm;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean reusable;
    /** How many requests this connection has carried. */
    private int requests;
    /** Whether the server keeps the connection open after the current answer. */
    private boolean keepOpen;
    /** Chunked body: bytes left in the current chunk, -1 before the first, 0 after the last. */
    private long chunkLeft;
    private boolean chunkedBody;
    private long bodyLeft;
    /** Whether the current body ends when the server closes the connection. */
    private boolean bodyToClose;

    private Connection(String origin, Socket socket, boolean absoluteForm) throws IOException {
        this.origin = origin;
        this.absoluteForm = absoluteForm;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), BUFFER);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 8 << 10);
    }

    /**
     * Connects to {@code target}'s origin (over TLS for https, checking the server's certificate
     * when {@code sslVerify}), waiting at most {@code timeoutMillis}
     * to connect and, afterwards, for each read.
     */
    static Connection open(URI target, boolean sslVerify, int timeoutMillis) throws IOException {
        String host = hostOf(target);
        int port = portOf(target);
        InetSocketAddress proxy = proxyFor(target);
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            try {
                plain.connect(proxy != null ? proxy : new InetSocketAddress(host, port), timeoutMillis);
            } catch (SocketTimeoutException e) {
                HttpConnectTimeoutException timeout = new HttpConnectTimeoutException("connect timed out");
                timeout.initCause(e);
                throw timeout;
            }
            plain.setSoTimeout(timeoutMillis);
            if (!"https".equalsIgnoreCase(target.getScheme())) {
                return new Connection(originOf(target), plain, proxy != null);
            }
            if (proxy != null) {
                tunnel(plain, host, port);
            }
            Tls tls = Tls.of(sslVerify);
            SSLSocket secure = (SSLSocket) tls.context().getSocketFactory().createSocket(plain, host, port, true);
            SSLParameters parameters = secure.getSSLParameters();
            if (tls.verify()) {
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
            }
            secure.setSSLParameters(parameters);
            secure.setSoTimeout(timeoutMillis);
            secure.startHandshake();
            return new Connection(originOf(target), secure, false);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** @return the HTTP proxy the default proxy selector names for {@code target}, or null to connect directly */
    private static InetSocketAddress proxyFor(URI target) {
        ProxySelector selector = ProxySelector.getDefault();
        if (selector == null) {
            return null;
        }
        for (Proxy proxy : selector.select(target)) {
            if (proxy.type() == Proxy.Type.DIRECT) {
                return null;
            }
            if (proxy.type() == Proxy.Type.HTTP && proxy.address() instanceof InetSocketAddress address) {
                return address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
            }
        }
        return null;
    }

    /** Asks the proxy at the other end of {@code socket} for a tunnel to {@code host:port}. */
    private static void tunnel(Socket socket, String host, int port) throws IOException {
        String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        OutputStream out = socket.getOutputStream();
        out.write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\nUser-Agent: jblock\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        // Byte by byte up to the blank line: what follows belongs to the TLS handshake.
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the proxy closed the connection instead of opening a tunnel to " + authority);
            }
            if (head.length() >= MAX_HEAD) {
                throw new IOException("the proxy's answer to CONNECT has a header longer than " + (MAX_HEAD >> 10) + " KiB");
            }
            head.append((char) b);
        }
        String status = head.substring(0, head.indexOf("\r\n"));
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[1].startsWith("2")) {
            throw new IOException("the proxy refused a tunnel to " + authority + " ('" + printable(status) + "')");
        }
    }

    /** @return {@code scheme://host:port}, the key under which connections are pooled */
    static String originOf(URI target) {
        return target.getScheme().toLowerCase(Locale.ROOT) + "://" + target.getHost().toLowerCase(Locale.ROOT)
                + ":" + portOf(target);
    }

    static int portOf(URI target) {
        return target.getPort() >= 0 ? target.getPort() : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
    }

    private static String hostOf(URI target) {
        String host = target.getHost();
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    String origin() {
        return origin;
    }

    /** @return whether an earlier request went over this connection (the server may have closed it since) */
    boolean reused() {
        return requests > 1;
    }

    /** @return whether the last answer was read whole and the server keeps the connection open */
    boolean reusable() {
        return reusable;
    }

    /**
     * Sends {@code method} for {@code target} with {@code headers} (Host and Connection are added)
     * and reads the answer's head, skipping informational ({@code 1xx}) ones.
     *
     * @throws EOFException when the server closed the connection before answering (an idle
     *                      connection it had given up: the request may be sent again on a new one)
     */
    Head exchange(String method, URI target, Map<String, String> headers) throws IOException {
        reusable = false;
        requests++;
        StringBuilder request = new StringBuilder(256);
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        request.append(method).append(' ');
        if (absoluteForm) {
            request.append(target.getScheme()).append("://").append(target.getRawAuthority().substring(
                    target.getRawAuthority().lastIndexOf('@') + 1));
        }
        request.append(path);
        if (target.getRawQuery() != null) {
            request.append('?').append(target.getRawQuery());
        }
        request.append(" HTTP/1.1\r\nHost: ").append(target.getHost());
        if (target.getPort() >= 0) {
            request.append(':').append(target.getPort());
        }
        request.append("\r\n");
        for (Map.Entry<String, String> header : headers.entrySet()) {
            request.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        request.append("\r\n");
        out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        Head head;
        do {
            head = readHead();
        } while (head.status() >= 100 && head.status() < 200);
        chunkedBody = head.chunked();
        chunkLeft = -1;
        bodyLeft = head.contentLength();
        bodyToClose = !chunkedBody && bodyLeft < 0;
        if (method.equals("HEAD") || head.status() == 204 || head.status() == 304) {
            bodyLeft = 0;
            chunkedBody = false;
            bodyToClose = false;
        }
        String connection = head.headers().firstValue("Connection").orElse("").toLowerCase(Locale.ROOT);
        // HTTP/1.1 keeps a connection unless told to close it; HTTP/1.0 closes it unless told to keep it.
        keepOpen = (head.http10() ? connection.contains("keep-alive") : !connection.contains("close")) && !bodyToClose;
        reusable = keepOpen && bodyLeft == 0 && !chunkedBody;
        return head;
    }

    /**
     * Reads the body into {@code parts}, one after the other, each filled whole.
     *
     * @return the bytes read, fewer than the parts hold when the body ended early; when the body is
     *         longer than the parts, {@code -1} (the rest is left unread and the connection unusable)
     */
    long readBody(List<byte[]> parts) throws IOException {
        long total = 0;
        for (byte[] part : parts) {
            int filled = 0;
            while (filled < part.length) {
                int n = readBodyBytes(part, filled, part.length - filled);
                if (n < 0) {
                    return total + filled;
                }
                filled += n;
            }
            total += filled;
        }
        if (bodyToClose) {
            // A body that runs to the end of the connection: its end is the server's close.
            return in.read() < 0 ? total : -1;
        }
        if (readBodyBytes(new byte[1], 0, 1) >= 0) {
            return -1;
        }
        reusable = keepOpen;
        return total;
    }

    /** Reads body bytes; -1 at the body's end. */
    private int readBodyBytes(byte[] into, int offset, int length) throws IOException {
        if (chunkedBody) {
            if (chunkLeft == 0) {
                return -1;
            }
            if (chunkLeft < 0) {
                chunkLeft = nextChunk();
                if (chunkLeft == 0) {
                    return -1;
                }
            }
            int n = in.read(into, offset, (int) Math.min(length, chunkLeft));
            if (n < 0) {
                chunkLeft = 0;
                keepOpen = false; // cut short: the caller counts what came
                return -1;
            }
            chunkLeft -= n;
            if (chunkLeft == 0) {
                readLine(); // the CRLF after the chunk's data
                chunkLeft = nextChunk();
            }
            return n;
        }
        if (bodyToClose) {
            return in.read(into, offset, length);
        }
        if (bodyLeft == 0) {
            return -1;
        }
        int n = in.read(into, offset, (int) Math.min(length, bodyLeft));
        if (n < 0) {
            bodyLeft = 0; // cut short: the caller counts what came
            keepOpen = false;
            return -1;
        }
        bodyLeft -= n;
        return n;
    }

    /** Reads a chunk's size line; at the last chunk, its trailer too, and returns 0. */
    private long nextChunk() throws IOException {
        String line = readLine();
        int semicolon = line.indexOf(';');
        String size = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
        if (!size.matches("[0-9a-fA-F]{1,15}")) {
            throw new IOException("the server sent an unreadable chunk size '" + line + "'");
        }
        long length = Long.parseLong(size, 16);
        if (length == 0) {
            while (!readLine().isEmpty()) {
                // Trailer fields: nothing here needs them.
            }
        }
        return length;
    }

    private Head readHead() throws IOException {
        String status = readLine();
        if (status == null) {
            throw new EOFException("the server closed the connection without answering");
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3 || !isDigits(parts[1], 3)) {
            throw new IOException("the server's answer is not HTTP/1.x: '" + printable(status) + "'");
        }
        Map<String, List<String>> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        int headBytes = status.length();
        String last = null;
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("the connection closed inside the answer's header");
            }
            headBytes += line.length() + 2;
            if (headBytes > MAX_HEAD) {
                throw new IOException("the server's answer has a header longer than " + (MAX_HEAD >> 10) + " KiB");
            }
            if (line.isEmpty()) {
                break;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && last != null) {
                List<String> values = fields.get(last);
                values.set(values.size() - 1, values.get(values.size() - 1) + " " + line.trim());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("the server sent an unreadable header line '" + printable(line) + "'");
            }
            last = line.substring(0, colon).trim();
            fields.computeIfAbsent(last, k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
        Map<String, List<String>> ordered = new LinkedHashMap<>(fields);
        return new Head(Integer.parseInt(parts[1]), parts[0].equals("HTTP/1.0"),
                HttpHeaders.of(ordered, (name, value) -> true));
    }

    /** A line without its CRLF (or LF), or null at the end of the stream before any byte. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.length() == 0) {
                    return null;
                }
                throw new EOFException("the connection closed inside a line of the answer");
            }
            if (b == '\n') {
                int length = line.length();
                if (length > 0 && line.charAt(length - 1) == '\r') {
                    line.setLength(length - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_HEAD) {
                throw new IOException("the server sent a line longer than " + (MAX_HEAD >> 10) + " KiB");
            }
            line.append((char) b);
        }
    }

    private static String printable(String text) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    @Override
    public void close() {
        reusable = false;
        try {
            socket.close();
        } catch (IOException e) {
            // Closing is all that was wanted: a socket that fails to close is gone just the same.
        }
    }
}
