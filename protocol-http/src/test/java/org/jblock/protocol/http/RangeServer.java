package org.jblock.protocol.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * A small web server on 127.0.0.1 (an ephemeral port) that serves one object by byte range, and can
 * be told to misbehave the ways real servers do: ignore ranges, change the object, cut a response
 * short, answer an error, redirect in a loop, stall. It counts the requests it answers.
 */
final class RangeServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    /** How the next answers go wrong. */
    enum Fault {
        NONE, IGNORE_RANGES, TRUNCATE, STALL, NO_TOTAL
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "range-server");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> log = new ArrayList<>();
    /** The request target of each request as it came (absolute through a proxy). */
    private final List<String> targets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile byte[] content;
    private volatile String etag = "\"v1\"";
    private volatile String lastModified = "Mon, 30 Nov 2026 10:00:00 GMT";
    private volatile Fault fault = Fault.NONE;
    private volatile int status;
    private volatile long delayMillis;
    /** Requests for ranges from here on answer {@link #status} (or wait for the gate); before it, normally. */
    private volatile long faultFrom;
    private volatile java.util.concurrent.CountDownLatch gate;

    RangeServer(byte[] content) throws IOException {
        this(content, null);
    }

    /** A server that speaks TLS with {@code tls}'s certificate, or plain HTTP when it is null. */
    RangeServer(byte[] content, SSLContext tls) throws IOException {
        this.content = content;
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(address, 50);
        } else {
            HttpsServer https = HttpsServer.create(address, 50);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return the URL of the object (any path serves it, except the redirect paths) */
    String url() {
        return url("/disk.img");
    }

    String url(String path) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int requests() {
        return requests.get();
    }

    /** @return "METHOD Range" of each request, in order */
    synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** @return the request target of each request, in order */
    List<String> targets() {
        return List.copyOf(targets);
    }

    void fault(Fault fault) {
        this.fault = fault;
    }

    /** Answers every request with {@code status} (0: serve normally). */
    void status(int status) {
        this.status = status;
    }

    void delay(long millis) {
        this.delayMillis = millis;
    }

    /** Answers only the ranges that start before {@code offset} as told by {@link #status} and {@link #hold}. */
    void faultFrom(long offset) {
        this.faultFrom = offset;
    }

    /** Makes requests for ranges at or past {@link #faultFrom} wait until {@link #release}. */
    void hold() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    void release() {
        java.util.concurrent.CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** Replaces the object with new bytes and a new ETag and date, as an upload would. */
    void replace(byte[] newContent, String newEtag, String newLastModified) {
        this.content = newContent;
        this.etag = newEtag;
        this.lastModified = newLastModified;
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String range = exchange.getRequestHeaders().getFirst("Range");
        synchronized (this) {
            log.add(exchange.getRequestMethod() + " " + range);
        }
        targets.add(exchange.getRequestURI().toString());
        try (exchange) {
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            Matcher at = range == null ? null : RANGE.matcher(range);
            boolean faulty = at != null && at.matches() && Long.parseLong(at.group(1)) >= faultFrom;
            java.util.concurrent.CountDownLatch g = gate;
            if (faulty && g != null && !g.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                return;
            }
            String path = exchange.getRequestURI().getPath();
            Headers headers = exchange.getResponseHeaders();
            if (path.startsWith("/loop")) {
                headers.set("Location", "/loop-again");
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            if (path.startsWith("/moved")) {
                headers.set("Location", "/disk.img");
                exchange.sendResponseHeaders(301, -1);
                return;
            }
            if (status != 0 && (faultFrom == 0 || faulty)) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            byte[] data = content;
            if (etag != null) {
                headers.set("ETag", etag);
            }
            headers.set("Last-Modified", lastModified);
            headers.set("Accept-Ranges", "bytes");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            Matcher m = range == null ? null : RANGE.matcher(range);
            String ifMatch = exchange.getRequestHeaders().getFirst("If-Match");
            if (ifMatch != null && !ifMatch.equals(etag)) {
                exchange.sendResponseHeaders(412, -1);
                return;
            }
            String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
            boolean rangeHolds = ifRange == null || ifRange.equals(etag) || ifRange.equals(lastModified);
            if (fault == Fault.IGNORE_RANGES || m == null || !m.matches() || head || !rangeHolds) {
                if (head) {
                    headers.set("Content-Length", String.valueOf(data.length));
                }
                exchange.sendResponseHeaders(200, head ? -1 : data.length);
                if (!head) {
                    exchange.getResponseBody().write(data);
                }
                return;
            }
            long first = Long.parseLong(m.group(1));
            long last = Math.min(Long.parseLong(m.group(2)), data.length - 1L);
            if (first >= data.length) {
                headers.set("Content-Range", "bytes */" + data.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            int length = (int) (last - first + 1);
            headers.set("Content-Range", "bytes " + first + "-" + last + "/"
                    + (fault == Fault.NO_TOTAL ? "*" : String.valueOf(data.length)));
            exchange.sendResponseHeaders(206, length);
            OutputStream body = exchange.getResponseBody();
            if (fault == Fault.TRUNCATE) {
                // Closing with the rest unsent drops the connection, as a crashed server would.
                body.write(data, (int) first, length / 2);
                body.flush();
                return;
            }
            if (fault == Fault.STALL) {
                body.write(data, (int) first, Math.min(length, 100));
                body.flush();
                Thread.sleep(60_000);
                return;
            }
            body.write(data, (int) first, length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
