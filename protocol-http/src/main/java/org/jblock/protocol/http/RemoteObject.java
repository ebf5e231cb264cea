package org.jblock.protocol.http;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import org.jblock.api.BlockException;
import org.jblock.api.ImageClosedException;
import org.jblock.protocol.http.Connection.Head;

/**
 * One object on a web server, read by byte range, and the validators that prove it is still the
 * object that was opened.
 *
 * <p>{@link #open} sends one ranged {@code GET} for the object's first bytes: its answer gives the
 * size ({@code Content-Range}, or a {@code HEAD}'s {@code Content-Length} when the server does not
 * say), the validators ({@code ETag}, {@code Last-Modified}) and data worth keeping. Every later
 * {@link #fetch} asks for exactly one range with {@code If-Range} (and {@code If-Match} for a strong
 * ETag), and accepts only a {@code 206} that carries exactly that range of an object of the same
 * size with the same validators, every byte of it. Anything else is a {@link BlockException} whose
 * message starts with the URL: a server that ignores ranges, an object that changed, a response cut
 * short, an error status, a redirect loop, a refused connection, or no progress for the timeout.
 *
 * <p>Safe for concurrent use: requests are independent, each on a keep-alive connection of its
 * own from {@link Connections}.
 */
final class RemoteObject {
    /** {@code bytes first-last/total}, total possibly {@code *}. */
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)",
            Pattern.CASE_INSENSITIVE);
    /** {@code bytes *}{@code /total}, the form of a 416 answer. */
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes\\s+\\*/(\\d+)", Pattern.CASE_INSENSITIVE);
    private static final String USER_AGENT = "jblock";
    /** As many as curl's and browsers' limits allow, and few enough to notice a loop at once. */
    static final int MAX_REDIRECTS = 10;

    /** The object and the first bytes its probe brought. */
    record Opened(RemoteObject object, byte[] head) {
    }

    private final Connections connections;
    private final URI uri;
    private final String name;
    private final HttpSettings settings;
    private final long size;
    /** A strong ETag, or null. */
    private final String etag;
    /** The {@code Last-Modified} date as the server wrote it, or null. */
    private final String lastModified;
    private final AtomicLong requests;

    private RemoteObject(Connections connections, URI uri, String name, HttpSettings settings, long size, String etag,
                         String lastModified, AtomicLong requests) {
        this.connections = connections;
        this.uri = uri;
        this.name = name;
        this.settings = settings;
        this.size = size;
        this.etag = etag;
        this.lastModified = lastModified;
        this.requests = requests;
    }

    /**
     * Finds the object's size and validators with a ranged {@code GET} for its first
     * {@code probeLength} bytes (at least 1). A server may answer with the whole object instead when
     * it is no longer than that.
     *
     * @param uri  the object, without user info
     * @param name the URL as messages show it
     * @throws BlockException naming {@code name} when the server cannot serve the object by range
     */
    static Opened open(Connections connections, URI uri, String name, HttpSettings settings, int probeLength)
            throws IOException {
        AtomicLong requests = new AtomicLong();
        RemoteObject bare = new RemoteObject(connections, uri, name, settings, -1, null, null, requests);
        int asked = Math.max(1, probeLength);
        Answer response = bare.exchange(target -> bare.request(target, 0, asked, false),
                info -> bare.checkProbe(info, asked), length -> List.of(new byte[(int) length]));
        HttpHeaders headers = response.headers();
        byte[] head = response.body() == null ? new byte[0] : response.body().get(0);
        long size;
        if (response.statusCode() == 416) {
            size = 0;
        } else if (response.statusCode() == 200) {
            size = head.length;
        } else {
            Matcher range = bare.contentRange(headers);
            size = range.group(3).equals("*") ? bare.sizeFromHead() : Long.parseLong(range.group(3));
        }
        RemoteObject object = new RemoteObject(connections, uri, name, settings, size, strongETag(headers),
                headers.firstValue("Last-Modified").orElse(null), requests);
        return new Opened(object, response.statusCode() == 416 ? new byte[0] : head);
    }

    /** @return the object's size in bytes, as found when it was opened */
    long size() {
        return size;
    }

    /** @return how many requests this object has sent (for tests and measurements) */
    long requestCount() {
        return requests.get();
    }

    /**
     * Fills {@code parts} with the object's bytes from {@code offset} on, the first part first, with
     * one request; they must lie within the object.
     *
     * @throws BlockException naming the URL when the server does not answer with exactly them
     */
    void fetch(long offset, List<byte[]> parts) throws IOException {
        long total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        Objects.checkFromIndexSize(offset, total, size);
        if (total == 0) {
            return;
        }
        long length = total;
        exchange(target -> request(target, offset, length, true), info -> checkFetch(info, offset, length),
                expected -> parts);
    }

    /** A ranged GET of {@code target} (the object, or where it redirects to). */
    private Request request(URI target, long offset, long length, boolean conditional) {
        Map<String, String> headers = start(target);
        headers.put("Range", "bytes=" + offset + "-" + (offset + length - 1));
        if (conditional) {
            if (etag != null) {
                headers.put("If-Range", etag);
                headers.put("If-Match", etag);
            } else if (lastModified != null) {
                headers.put("If-Range", lastModified);
            }
        }
        return new Request("GET", headers);
    }

    /** A request's method and header fields (besides Host, which the connection adds). */
    private record Request(String method, Map<String, String> headers) {
    }

    /** A final answer: its status, its header fields and its body (null when it was not read). */
    private record Answer(int statusCode, HttpHeaders headers, List<byte[]> body) {
    }

    /**
     * A request to {@code target} with the headers every request carries; the cookie and the
     * credentials go only to the origin of the URL that was opened, never to another a redirect names.
     */
    private Map<String, String> start(URI target) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("User-Agent", USER_AGENT);
        if (sameOrigin(target, uri)) {
            if (settings.cookie() != null) {
                headers.put("Cookie", settings.cookie());
            }
            if (settings.username() != null) {
                String pair = settings.username() + ":" + Optional.ofNullable(settings.password()).orElse("");
                headers.put("Authorization",
                        "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return headers;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** The expected body length of the probe's answer, or -1 for an empty object (416). */
    private long checkProbe(Head info, int asked) throws BlockException {
        int status = info.status();
        HttpHeaders headers = info.headers();
        if (status == 416) {
            Matcher m = UNSATISFIED_RANGE.matcher(headers.firstValue("Content-Range").orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == 0) {
                return -1;
            }
            throw fail("the server refused the range 0-" + (asked - 1) + " (HTTP 416) of an object that is not empty");
        }
        if (status == 200) {
            // The whole object instead of a range: welcome when it is no longer than the range
            // (nginx answers so for an empty file), refused otherwise, before its body is read.
            String length = headers.firstValue("Content-Length").orElse("");
            if (length.matches("\\d{1,9}") && Long.parseLong(length) <= asked) {
                checkIdentityBody(headers);
                return Long.parseLong(length);
            }
            throw fail("the server ignores byte ranges (it answered a Range request with HTTP 200 and the whole"
                    + " object); an image on a web server is read by range");
        }
        if (status != 206) {
            throw statusError(info);
        }
        checkIdentityBody(headers);
        Matcher range = contentRange(headers);
        long first = Long.parseLong(range.group(1));
        long last = Long.parseLong(range.group(2));
        if (first != 0 || last < first || last >= asked
                || (!range.group(3).equals("*") && last >= Long.parseLong(range.group(3)))) {
            throw fail("the server answered the range 0-" + (asked - 1) + " with " + headers.firstValue("Content-Range").get());
        }
        return last + 1;
    }

    private long checkFetch(Head info, long offset, long length) throws BlockException {
        int status = info.status();
        HttpHeaders headers = info.headers();
        if (status == 412 || status == 416) {
            throw changed("HTTP " + status + " to a request for bytes " + offset + "-" + (offset + length - 1));
        }
        if (status == 200) {
            String difference = validatorDifference(headers);
            if (difference != null) {
                throw changed(difference);
            }
            throw fail("the server ignored a byte range (it answered HTTP 200 with the whole object)");
        }
        if (status != 206) {
            throw statusError(info);
        }
        String difference = validatorDifference(headers);
        if (difference != null) {
            throw changed(difference);
        }
        checkIdentityBody(headers);
        Matcher range = contentRange(headers);
        long first = Long.parseLong(range.group(1));
        long last = Long.parseLong(range.group(2));
        String total = range.group(3);
        if (!total.equals("*") && Long.parseLong(total) != size) {
            throw changed("its size is now " + total + " bytes, was " + size);
        }
        if (first != offset || last != offset + length - 1) {
            throw fail("asked for bytes " + offset + "-" + (offset + length - 1) + ", the server sent "
                    + headers.firstValue("Content-Range").get());
        }
        return length;
    }

    /** @return what says the object is not the one opened, or null when nothing does */
    private String validatorDifference(HttpHeaders headers) {
        String nowTag = headers.firstValue("ETag").orElse(null);
        if (etag != null && nowTag != null && !etag.equals(nowTag)) {
            return "its ETag is now " + nowTag + ", was " + etag;
        }
        String nowModified = headers.firstValue("Last-Modified").orElse(null);
        if (lastModified != null && nowModified != null && !lastModified.equals(nowModified)) {
            return "it was modified at " + nowModified + ", opened as of " + lastModified;
        }
        return null;
    }

    private void checkIdentityBody(HttpHeaders headers) throws BlockException {
        String encoding = headers.firstValue("Content-Encoding").orElse("identity");
        if (!encoding.equalsIgnoreCase("identity")) {
            throw fail("the server sent the range encoded as '" + encoding + "'; it must send the bytes as they are");
        }
        String type = headers.firstValue("Content-Type").orElse("");
        if (type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")) {
            throw fail("the server answered one range with several parts (" + type + ")");
        }
    }

    private Matcher contentRange(HttpHeaders headers) throws BlockException {
        String value = headers.firstValue("Content-Range").orElse(null);
        if (value == null) {
            throw fail("the server's partial answer (HTTP 206) has no Content-Range");
        }
        Matcher m = CONTENT_RANGE.matcher(value.trim());
        if (!m.matches() || m.group(1).length() > 18 || m.group(2).length() > 18 || m.group(3).length() > 18) {
            throw fail("the server sent an unreadable Content-Range: " + value);
        }
        return m;
    }

    /** The size from a {@code HEAD}'s {@code Content-Length}, for servers whose ranges do not say it. */
    private long sizeFromHead() throws IOException {
        Answer response = exchange(target -> new Request("HEAD", start(target)), info -> {
            if (info.status() != 200) {
                throw statusError(info);
            }
            return 0;
        }, length -> List.of());
        String length = response.headers().firstValue("Content-Length").orElse("");
        if (!length.matches("\\d{1,18}")) {
            throw fail("the server says neither in Content-Range nor in Content-Length how large the object is");
        }
        return Long.parseLong(length);
    }

    private static String strongETag(HttpHeaders headers) {
        String tag = headers.firstValue("ETag").orElse(null);
        return tag == null || tag.startsWith("W/") ? null : tag;
    }

    private BlockException statusError(Head info) {
        int status = info.status();
        if (status == 404 || status == 410) {
            return fail("not found (HTTP " + status + ")");
        }
        if (status == 401 || status == 403 || status == 407) {
            return fail("access denied (HTTP " + status + ")");
        }
        return fail("the server answered HTTP " + status);
    }

    private BlockException changed(String how) {
        return fail("the object changed on the server since it was opened (" + how + "); open it again to read it");
    }

    private BlockException fail(String what) {
        return new BlockException(name + ": " + what);
    }

    /** Reads a response's header and says how many body bytes to expect (-1: drop the body). */
    @FunctionalInterface
    private interface Check {
        long expectedLength(Head info) throws BlockException;
    }

    /**
     * Sends the request {@code build} makes for the object's URL, following up to
     * {@value #MAX_REDIRECTS} redirects, and reads the final answer's body, as long as
     * {@code check} expects, into the arrays {@code sink} gives for that length.
     */
    private Answer exchange(Function<URI, Request> build, Check check, LongFunction<List<byte[]>> sink)
            throws IOException {
        URI target = uri;
        for (int hop = 0; ; hop++) {
            Answer response = exchangeOnce(target, build.apply(target), info ->
                    isRedirect(info.status(), info.headers()) ? -1 : check.expectedLength(info), sink);
            if (!isRedirect(response.statusCode(), response.headers())) {
                return response;
            }
            if (hop == MAX_REDIRECTS) {
                throw fail("more than " + MAX_REDIRECTS + " redirects (a redirect loop?); the last was HTTP "
                        + response.statusCode() + " to " + response.headers().firstValue("Location").orElse("?"));
            }
            URI next;
            try {
                next = target.resolve(new URI(response.headers().firstValue("Location").get().trim()));
            } catch (URISyntaxException e) {
                throw fail("the server redirected to an unreadable URL: " + e.getMessage());
            }
            if (!"http".equalsIgnoreCase(next.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())
                    || next.getHost() == null) {
                throw fail("the server redirected to " + next + ", which is not an http(s) URL");
            }
            if ("https".equalsIgnoreCase(target.getScheme()) && "http".equalsIgnoreCase(next.getScheme())) {
                throw fail("the server redirected from https to plain http (" + next + "); refused");
            }
            target = next;
        }
    }

    private static boolean isRedirect(int status, HttpHeaders headers) {
        return (status == 301 || status == 302 || status == 303 || status == 307 || status == 308)
                && headers.firstValue("Location").isPresent();
    }

    /**
     * Sends {@code request} to {@code target} on a pooled connection and reads its answer's body.
     * A connection that carried requests before and fails before an answer begins was dropped by
     * the server while idle: the request goes once more, on a new one.
     */
    private Answer exchangeOnce(URI target, Request request, Check check, LongFunction<List<byte[]>> sink)
            throws IOException {
        requests.incrementAndGet();
        for (int attempt = 0; ; attempt++) {
            Connection connection;
            try {
                connection = connections.take(target);
            } catch (IOException | RuntimeException e) {
                throw translate(e);
            }
            try {
                Head head;
                try {
                    head = connection.exchange(request.method(), target, request.headers());
                } catch (EOFException | SocketException e) {
                    if (attempt == 0 && connection.reused() && !connections.isClosed()) {
                        connections.discard(connection);
                        continue;
                    }
                    throw e;
                }
                long expected = check.expectedLength(head);
                if (expected < 0) {
                    // An error, a redirect or an answer not needed: its body is dropped with the connection.
                    connections.discard(connection);
                    return new Answer(head.status(), head.headers(), null);
                }
                List<byte[]> parts = sink.apply(expected);
                long got = connection.readBody(parts);
                if (got < 0) {
                    throw fail("the server sent more than the " + expected + " bytes asked for");
                }
                if (got < expected) {
                    throw fail("the response was cut short after " + got + " of " + expected + " bytes");
                }
                connections.give(connection);
                return new Answer(head.status(), head.headers(), parts);
            } catch (IOException | RuntimeException e) {
                connections.discard(connection);
                throw translate(e);
            }
        }
    }

    /** The failure of an exchange as an error naming the URL (after a close: that the image is closed). */
    private IOException translate(Throwable cause) {
        if (cause instanceof ImageClosedException closed) {
            return closed;
        }
        if (connections.isClosed()) {
            ImageClosedException closed = new ImageClosedException(name);
            closed.initCause(cause);
            return closed;
        }
        if (cause instanceof BlockException) {
            return (BlockException) cause;
        }
        String what;
        if (cause instanceof HttpConnectTimeoutException) {
            what = "could not connect within " + settings.timeout().toSeconds() + " s (timeout)";
        } else if (cause instanceof SocketTimeoutException) {
            what = "no answer for " + settings.timeout().toSeconds() + " s (timeout)";
        } else if (cause instanceof UnknownHostException) {
            what = "unknown host " + uri.getHost();
        } else if (cause instanceof ConnectException) {
            what = "could not connect to " + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                    + " (" + Optional.ofNullable(cause.getMessage()).orElse("connection refused") + ")";
        } else if (cause instanceof SSLException) {
            what = "TLS failed: " + cause.getMessage()
                    + (settings.sslVerify() ? " (sslverify=off skips checking the server's certificate)" : "");
        } else if (cause instanceof IOException) {
            what = Optional.ofNullable(cause.getMessage()).orElse(cause.getClass().getSimpleName());
        } else {
            what = "request failed: " + cause;
        }
        return new BlockException(name + ": " + what, cause);
    }
}
