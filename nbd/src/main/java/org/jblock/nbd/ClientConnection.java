package org.jblock.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jblock.nbd.wire.ProtocolException;

/** One client: its handshake, then its transmission, on a thread of its own. */
final class ClientConnection {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final NbdServer server;
    private final SocketChannel channel;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Transmission transmission;

    ClientConnection(NbdServer server, SocketChannel channel) {
        this.server = server;
        this.channel = channel;
    }

    void start() {
        Thread thread = new Thread(this::run, "nbd-client");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        boolean negotiated = false;
        try {
            Negotiation.Session session;
            ScheduledFuture<?> timeout = server.timer().schedule(this::abort,
                    server.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                session = new Negotiation(server, channel).run();
            } finally {
                timeout.cancel(false);
            }
            if (session != null && !server.isClosing()) {
                negotiated = true;
                transmission = new Transmission(server, channel, session);
                transmission.run();
            }
        } catch (EOFException e) {
            LOG.log(System.Logger.Level.DEBUG, "client left: " + e.getMessage());
        } catch (ProtocolException e) {
            LOG.log(System.Logger.Level.DEBUG, "client dropped: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "connection ended: " + e);
        } finally {
            abort();
            ended.countDown();
            server.ended(this, negotiated);
        }
    }

    /** Stops taking requests: the requests in flight finish and are answered, then the connection closes. */
    void stop() {
        Transmission current = transmission;
        if (current == null) {
            abort();
        } else {
            current.stopReading();
        }
    }

    /** Closes the connection at once. */
    void abort() {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing is all that was wanted.
        }
    }

    boolean awaitEnd(Duration timeout) {
        try {
            return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
