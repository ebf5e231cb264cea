package org.jblock.protocol.http;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
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
 * {@link RemoteObject} fills by byte range.
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

    private final String name;
    private final RemoteObject object;
    private final BlockCache cache;
    private volatile boolean closed;

    private HttpBlockFile(String name, RemoteObject object, BlockCache cache) {
        this.name = name;
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
        HttpClient client = HttpClients.client(effective.sslVerify());
        int probe = (int) Math.max(BLOCK_SIZE, roundUp(effective.readahead()));
        RemoteObject.Opened opened = RemoteObject.open(client, uri, name, effective, probe);
        RemoteObject object = opened.object();
        BlockCache cache = new BlockCache(object::fetch, object.size(), BLOCK_SIZE, CACHE_BYTES,
                effective.readahead(), MAX_FETCH);
        cache.put(0, opened.head());
        return new HttpBlockFile(name, object, cache);
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

    @Override
    public void close() {
        closed = true;
        cache.clear();
    }

    private void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }
}
