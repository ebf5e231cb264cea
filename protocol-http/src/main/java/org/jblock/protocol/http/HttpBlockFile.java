package org.jblock.protocol.http;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.util.Locale;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;

/**
 * An object on a web server as a read-only {@link BlockFile}: reads come from a {@link BlockCache}
 * of {@value #BLOCK_SIZE}-byte blocks (at most {@value #CACHE_BYTES} bytes per open object) that
 * {@link RemoteObject} fills by byte range, with up to {@value #FETCH_THREADS} requests at once on
 * as many keep-alive connections ({@link Connections}); a reader that goes on where the last read
 * stopped has the next {@value #WINDOW} bytes fetched ahead of it.
 *
 * <p>Memory: the cache's {@value #CACHE_BYTES} bytes, plus the blocks of requests in flight that
 * the cache let go of before they arrived (at most {@value #FETCH_THREADS} requests of
 * {@value #MAX_FETCH} bytes).
 *
 * <p>Opening costs one request (the first {@code readahead} bytes, which also give the size and
 * the validators); a VHD's footer then costs one more, and its header and block table usually come
 * with the first. Writes and truncation are refused; every lock is accepted and means nothing (a
 * web server has no locks).
 */
final class HttpBlockFile implements BlockFile {
    /** The unit of caching: big enough that a VHD's 512-byte structures cost nothing more. */
    static final int BLOCK_SIZE = 64 << 10;
    /** The most one open object keeps in memory. */
    static final long CACHE_BYTES = 32L << 20;
    /** The most one request asks for; a longer read costs several. */
    static final long MAX_FETCH = 8L << 20;
    /** How far past a read in order the next bytes are fetched ahead. */
    static final long WINDOW = 8L << 20;
    /** The length of one request of the window (at least the readahead option). */
    static final long AHEAD_REQUEST = 2L << 20;
    /** Requests at once, and so connections, per open object. */
    static final int FETCH_THREADS = 4;
    /** How long close() waits for the fetch threads, whose connections it has closed. */
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    private final String name;
    private final Connections connections;
    private final RemoteObject object;
    private final BlockCache cache;
    private volatile boolean closed;

    private HttpBlockFile(String name, Connections connections, RemoteObject object, BlockCache cache) {
        this.name = name;
        this.connections = connections;
        this.object = object;
        this.cache = cache;
    }

    /**
     * Opens the object at {@code url} ({@code http://} or {@code https://}; user info in it is
     * taken as the credentials and left out of the name).
     *
     * @throws InvalidOptionException when {@code url} is not an http(s) URL with a host
     * @throws org.jblock.api.BlockException naming the URL when the server cannot serve it by range
     */
    static HttpBlockFile open(String url, HttpSettings settings) throws IOException {
        URI given;
        try {
            given = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException("'" + url + "' is not a valid URL: " + e.getMessage());
        }
        String scheme = given.getScheme() == null ? "" : given.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || given.getHost() == null) {
            throw new InvalidOptionException("'" + url + "' is not an http:// or https:// URL with a host");
        }
        URI uri;
        try {
            uri = new URI(scheme, null, given.getHost(), given.getPort(), given.getPath(), given.getQuery(), null);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException("'" + url + "' is not a valid URL: " + e.getMessage());
        }
        HttpSettings effective = settings.withUserInfo(given.getUserInfo());
        String name = uri.toString();
        Connections connections = new Connections(name, effective.sslVerify(),
                (int) effective.timeout().toMillis());
        int probe = (int) Math.max(BLOCK_SIZE, roundUp(effective.readahead()));
        RemoteObject.Opened opened;
        try {
            opened = RemoteObject.open(connections, uri, name, effective, probe);
        } catch (IOException | RuntimeException e) {
            connections.close();
            throw e;
        }
        RemoteObject object = opened.object();
        BlockCache cache = new BlockCache(name, object::fetch, object.size(), BLOCK_SIZE, CACHE_BYTES,
                effective.readahead(), WINDOW, AHEAD_REQUEST, MAX_FETCH, FETCH_THREADS);
        cache.put(0, opened.head());
        return new HttpBlockFile(name, connections, object, cache);
    }

    private static long roundUp(long bytes) {
        return (bytes + BLOCK_SIZE - 1) / BLOCK_SIZE * BLOCK_SIZE;
    }

    /** @return how many requests this file has sent (for tests and measurements) */
    long requestCount() {
        return object.requestCount();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        ensureOpen();
        if (position < 0) {
            throw new InvalidRequestException(name + ": negative offset " + position);
        }
        return cache.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        ensureOpen();
        throw new ReadOnlyImageException(name);
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return object.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        ensureOpen();
        throw new ReadOnlyImageException(name);
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return how many of this file's fetch threads are alive (for tests) */
    int liveThreads() {
        return cache.liveThreads();
    }

    /**
     * Stops the fetches (queued ones fail, running ones fail at once as their connections close),
     * waits for the fetch threads to end and forgets the cache. Reads waiting for a fetch, and reads
     * afterwards, fail with {@link ImageClosedException}.
     */
    @Override
    public void close() {
        closed = true;
        cache.shutdown();
        connections.close();
        cache.close(CLOSE_WAIT_MILLIS);
    }

    private void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }
}
