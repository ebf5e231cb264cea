package org.jblock.protocol.nbd;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jblock.nbd.client.NbdConnection;

/**
 * The further connections a read-only export's reads are spread over, when the server says that
 * all its connections see the same data ({@code NBD_FLAG_CAN_MULTI_CONN}), as nbdcopy does: one
 * connection carries its replies one after the other through one socket, whose small buffer makes
 * the server wait for the client at every few hundred KiB; several carry them side by side.
 *
 * <p>They are made only when reads come to overlap (a copy, a compare), not for a command that
 * reads a header and ends, and on a daemon thread, so that no read waits for them; each is used
 * once its handshake is done. A server that refuses one, or answers it with another export (size
 * or flags), keeps the requests on the connections there are. A connection that breaks is dropped
 * and its read sent again on the first connection, which has the reconnecting logic; an error the
 * server answers a read with is that read's error, as on the first connection.
 *
 * <p>Writes never go here: several connections would have to agree on what a flush covers.
 */
final class ReadConnections implements AutoCloseable {
    private final Reconnector.Connect connect;
    private final int wanted;
    private final long size;
    private final int flags;
    /** The connections made so far (copied on change, so a read picks without a lock). */
    private final List<NbdConnection> open = new CopyOnWriteArrayList<>();
    /** Whether the making has been asked for: read on every pick, set once. */
    private volatile boolean widened;
    /** The thread making them, once started; guarded by this. */
    private Thread opener;
    private boolean closed;

    /**
     * @param wanted how many connections to make besides the first
     * @param first the first connection, which the others must match
     */
    ReadConnections(Reconnector.Connect connect, int wanted, NbdConnection first) {
        this.connect = connect;
        this.wanted = wanted;
        this.size = first.size();
        this.flags = flagsOf(first);
    }

    /**
     * @return the connection with the fewest requests in flight: {@code first} or one of the others;
     *         when {@code first} is busy, the others are first asked for (once)
     */
    NbdConnection pick(NbdConnection first) {
        int least = first.requestsInFlight();
        if (least > 0 && !widened) {
            widen();
        }
        NbdConnection best = first;
        for (NbdConnection connection : open) {
            int busy = connection.requestsInFlight();
            if (busy < least) {
                best = connection;
                least = busy;
            }
        }
        return best;
    }

    /** Forgets a connection that broke, and closes it. */
    void drop(NbdConnection broken) {
        if (open.remove(broken)) {
            closeQuietly(broken);
        }
    }

    private synchronized void widen() {
        if (widened || closed) {
            return;
        }
        widened = true;
        opener = new Thread(this::openAll, "nbd-client-connect");
        opener.setDaemon(true);
        opener.start();
    }

    private void openAll() {
        for (int k = 0; k < wanted; k++) {
            NbdConnection connection;
            try {
                connection = connect.connect();
            } catch (IOException e) {
                return; // the server takes no more connections (or is going): the ones there are serve
            }
            if (connection.size() != size || flagsOf(connection) != flags) {
                closeQuietly(connection);
                return;
            }
            synchronized (this) {
                if (closed) {
                    closeQuietly(connection);
                    return;
                }
                open.add(connection);
            }
        }
    }

    /** Closes every connection made, and stops the making (a handshake in progress is interrupted). */
    @Override
    public void close() {
        List<NbdConnection> all;
        Thread making;
        synchronized (this) {
            closed = true;
            all = List.copyOf(open);
            open.clear();
            making = opener;
        }
        if (making != null) {
            making.interrupt();
        }
        all.forEach(ReadConnections::closeQuietly);
    }

    /** The flags another connection must agree with: read-only and multi-connection. */
    private static int flagsOf(NbdConnection connection) {
        return (connection.isReadOnly() ? 1 : 0) | (connection.canMultiConn() ? 2 : 0);
    }

    private static void closeQuietly(NbdConnection connection) {
        try {
            connection.close();
        } catch (IOException e) {
            // Only reads went on it: nothing is lost.
        }
    }
}
