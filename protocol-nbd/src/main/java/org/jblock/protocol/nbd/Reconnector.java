package org.jblock.protocol.nbd;

import java.io.IOException;
import java.time.Duration;

import org.jblock.nbd.client.NbdConnection;

/**
 * Opens a connection to one export again and again: QEMU's {@code open-timeout} (how long the first
 * connection is retried) and {@code reconnect-delay} (how long requests wait for a new connection
 * after the server dropped one). Zero, the default of both, means a single try.
 */
final class Reconnector {
    /** Pause between two tries, so that a server that is restarting is not flooded. */
    private static final long PAUSE_MILLIS = 100;

    /** Makes one connection, handshake included. */
    interface Connect {
        NbdConnection connect() throws IOException;
    }

    private final Connect connect;
    private final Duration reconnectDelay;
    private volatile NbdConnection current;
    /** When the current connection was found broken, in {@link System#nanoTime()}; guarded by this. */
    private long droppedAt;
    private boolean dropped;

    private Reconnector(Connect connect, Duration reconnectDelay, NbdConnection first) {
        this.connect = connect;
        this.reconnectDelay = reconnectDelay;
        this.current = first;
    }

    /**
     * Connects, trying again for up to {@code openTimeout} while the server is not there yet.
     *
     * @throws IOException the last try's error, once the time is up
     */
    static Reconnector open(Connect connect, Duration openTimeout, Duration reconnectDelay) throws IOException {
        return new Reconnector(connect, reconnectDelay, tryFor(connect, System.nanoTime() + openTimeout.toNanos()));
    }

    /** @return the connection to send requests on */
    NbdConnection connection() {
        return current;
    }

    /**
     * Called when a request on {@code failed} ended with {@code error}: if that connection is lost
     * and a reconnect delay is set, connects again, within the delay counted from the moment the
     * connection was found lost (after it, one try per request, as QEMU fails requests at once
     * until a try succeeds), and returns so that the request is sent again.
     *
     * @throws IOException {@code error} when the request is not to be sent again
     */
    synchronized void recover(NbdConnection failed, IOException error) throws IOException {
        if (reconnectDelay.isZero() || !failed.isBroken()) {
            throw error;
        }
        if (current != failed) {
            return;
        }
        if (!dropped) {
            dropped = true;
            droppedAt = System.nanoTime();
        }
        NbdConnection fresh;
        try {
            fresh = tryFor(connect, droppedAt + reconnectDelay.toNanos());
        } catch (IOException again) {
            error.addSuppressed(again);
            throw error;
        }
        if (fresh.size() != failed.size() || (fresh.isReadOnly() && !failed.isReadOnly())) {
            fresh.close();
            throw new IOException(error.getMessage() + "; the export changed while reconnecting (size "
                    + failed.size() + " then " + fresh.size() + ")", error);
        }
        failed.close();
        current = fresh;
        dropped = false;
    }

    /** Closes the current connection. */
    synchronized void close() throws IOException {
        current.close();
    }

    /** @return a connection, from tries until {@code deadline} (one try at least) */
    private static NbdConnection tryFor(Connect connect, long deadline) throws IOException {
        while (true) {
            try {
                return connect.connect();
            } catch (IOException e) {
                if (System.nanoTime() + PAUSE_MILLIS * 1_000_000 > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while connecting again");
            }
        }
    }
}
