package org.jblock.protocol.http;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

import org.jblock.api.ImageClosedException;

/**
 * The keep-alive connections of one open image: a request takes an idle connection to its origin
 * or opens one, and gives it back when its answer was read whole. As many are open as requests run
 * at once (the image's fetch threads and the thread that opens it), idle ones beyond
 * {@link #MAX_IDLE} are closed. {@link #close()} closes every one, in use or not: a request that
 * is reading fails at once, and none opens afterwards.
 */
final class Connections implements AutoCloseable {
    /** Idle connections kept for the next requests. */
    static final int MAX_IDLE = 8;

    private final String name;
    private final boolean sslVerify;
    private final int timeoutMillis;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private final Set<Connection> open = new HashSet<>();
    private boolean closed;

    /** @param name the image's name, for the error after {@link #close()} */
    Connections(String name, boolean sslVerify, int timeoutMillis) {
        this.name = name;
        this.sslVerify = sslVerify;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * @return an idle connection to {@code target}'s origin, or a new one ({@link Connection#open})
     * @throws ImageClosedException after {@link #close()}
     */
    Connection take(URI target) throws IOException {
        String origin = Connection.originOf(target);
        synchronized (this) {
            ensureOpen();
            for (Iterator<Connection> it = idle.iterator(); it.hasNext(); ) {
                Connection connection = it.next();
                if (connection.origin().equals(origin)) {
                    it.remove();
                    return connection;
                }
            }
        }
        Connection connection = Connection.open(target, sslVerify, timeoutMillis);
        synchronized (this) {
            if (closed) {
                connection.close();
                throw new ImageClosedException(name);
            }
            open.add(connection);
        }
        return connection;
    }

    /** Takes {@code connection} back: kept when its last answer was read whole, else closed. */
    void give(Connection connection) {
        synchronized (this) {
            if (!closed && connection.reusable()) {
                idle.addFirst(connection);
                if (idle.size() <= MAX_IDLE) {
                    return;
                }
                connection = idle.removeLast();
            }
            open.remove(connection);
        }
        connection.close();
    }

    /** Closes {@code connection} (after a failure: what is left of its answer is unknown). */
    void discard(Connection connection) {
        synchronized (this) {
            open.remove(connection);
        }
        connection.close();
    }

    private void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }

    /** @return whether {@link #close()} was called */
    synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        Set<Connection> all;
        synchronized (this) {
            closed = true;
            all = new HashSet<>(open);
            open.clear();
            idle.clear();
        }
        all.forEach(Connection::close);
    }
}
