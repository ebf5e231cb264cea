package org.jblock.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An NBD server (fixed newstyle handshake, structured replies, {@code base:allocation} block status)
 * for one or more {@link NbdExport}s, listening on a TCP address or a Unix socket.
 *
 * <pre>{@code
 * try (BlockImage image = registry.open(path, OpenSpec.readWrite());
 *      NbdServer server = NbdServer.builder()
 *              .export(NbdExport.of("disk", image))
 *              .listen(new InetSocketAddress("127.0.0.1", 10809))
 *              .start()) {
 *     server.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Each connection has many requests in flight, served by a shared pool of workers and answered
 * as they complete (out of order). Memory is bounded: a request carries at most
 * {@link org.jblock.nbd.wire.Nbd#MAX_PAYLOAD} bytes, and a connection has at most
 * {@link Builder#connectionBudget} bytes of requests in flight. A client that breaks the protocol
 * loses its connection; the others are not disturbed.
 *
 * <p>{@link #close()} stops accepting, lets the requests in flight finish and be answered, flushes
 * every writable export and closes the connections: nothing a client has been told is written is
 * lost. The images stay open; they belong to the caller.
 */
public final class NbdServer implements Closeable {
    /** The IANA port for NBD, where a server listens unless told otherwise. */
    public static final int DEFAULT_PORT = org.jblock.nbd.wire.Nbd.DEFAULT_PORT;
    private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());

    private final Map<String, NbdExport> exports;
    private final int maxConnections;
    private final boolean persistent;
    private final Duration handshakeTimeout;
    private final int connectionBudget;
    private final ServerSocketChannel listener;
    private final SocketAddress address;
    /**
     * The socket send buffer asked for (Linux grants at most {@code net.core.wmem_max}): room for
     * several large replies, so that the reply writer hands the kernel more at a time and waits less
     * often for the client (a third less server CPU for an nbdcopy where 4 MiB are granted).
     */
    private static final int SEND_BUFFER = 4 << 20;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final Semaphore connectionSlots;
    private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final Thread acceptor;
    private final BufferPool buffers = new BufferPool(256L << 20);
    private volatile boolean closing;
    private boolean closed;

    private NbdServer(Builder builder) throws IOException {
        this.exports = new LinkedHashMap<>(builder.exports);
        this.maxConnections = builder.maxConnections;
        this.persistent = builder.persistent;
        this.handshakeTimeout = builder.handshakeTimeout;
        this.connectionBudget = builder.connectionBudget;
        this.connectionSlots = new Semaphore(maxConnections == 0 ? Integer.MAX_VALUE : maxConnections);
        SocketAddress wanted = builder.address;
        ServerSocketChannel channel = wanted instanceof UnixDomainSocketAddress
                ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        try {
            if (!(wanted instanceof UnixDomainSocketAddress)) {
                channel.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            }
            // As qemu-nbd: a limited server keeps no more clients waiting than it could serve.
            int backlog = persistent || maxConnections == 0 ? 0 : Math.min(maxConnections, 128);
            channel.bind(wanted, backlog);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        this.listener = channel;
        this.address = channel.getLocalAddress();
        this.workers = new ThreadPoolExecutor(builder.workers, builder.workers, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemons("nbd-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemons("nbd-timer"));
        this.acceptor = daemons("nbd-accept").newThread(this::acceptLoop);
        acceptor.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** @return where the server listens (with the port chosen when 0 was asked for) */
    public SocketAddress address() {
        return address;
    }

    /** @return the clients connected now */
    public int connections() {
        return connectionCount.get();
    }

    /** Waits until the server has stopped: after {@link #close()}, or after the last client when not persistent. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** @return whether the server stopped within {@code timeout} */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops the server: no new connections, the requests in flight finish and are answered, each
     * writable export is flushed, the connections close. Calling it again waits for nothing.
     */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
        }
        IOException failure = null;
        try {
            listener.close();
            try {
                deleteSocketFile();
            } catch (IOException e) {
                // Tried again once the connections are closed; answering them comes first.
            }
            for (ClientConnection connection : connections) {
                connection.stop();
            }
            for (ClientConnection connection : new ArrayList<>(connections)) {
                if (!connection.awaitEnd(Duration.ofSeconds(30))) {
                    LOG.log(System.Logger.Level.WARNING, "a client did not take its replies; dropping it");
                    connection.abort();
                    connection.awaitEnd(Duration.ofSeconds(5));
                }
            }
            for (NbdExport export : exports.values()) {
                if (!export.image().isReadOnly()) {
                    try {
                        export.image().flush();
                    } catch (IOException e) {
                        if (failure == null) {
                            failure = e;
                        }
                    }
                }
            }
        } finally {
            workers.shutdown();
            timer.shutdownNow();
            deleteSocketFile();
            terminated.countDown();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** A Unix socket's file goes with the listener, so that new clients learn at once that nobody serves. */
    private void deleteSocketFile() throws IOException {
        if (address instanceof UnixDomainSocketAddress) {
            Files.deleteIfExists(((UnixDomainSocketAddress) address).getPath());
        }
    }

    boolean isClosing() {
        return closing;
    }

    NbdExport export(String name) {
        return exports.get(name);
    }

    List<NbdExport> exports() {
        return List.copyOf(exports.values());
    }

    /** CAN_MULTI_CONN: every connection shares the one image (no cache of its own), so a flush covers all. */
    boolean multiConnection() {
        return maxConnections != 1;
    }

    ExecutorService workers() {
        return workers;
    }

    int connectionBudget() {
        return connectionBudget;
    }

    BufferPool buffers() {
        return buffers;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    private void acceptLoop() {
        try {
            while (!closing) {
                connectionSlots.acquireUninterruptibly();
                SocketChannel channel;
                try {
                    channel = listener.accept();
                } catch (IOException | RuntimeException e) {
                    connectionSlots.release();
                    throw e;
                }
                if (!(address instanceof UnixDomainSocketAddress)) {
                    channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                }
                channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
                ClientConnection connection = new ClientConnection(this, channel);
                connections.add(connection);
                connectionCount.incrementAndGet();
                connection.start();
            }
        } catch (ClosedChannelException e) {
            // close() stopped the listener.
        } catch (IOException | RuntimeException e) {
            if (!closing) {
                LOG.log(System.Logger.Level.ERROR, "the NBD server stopped accepting connections: " + e, e);
                stopInBackground();
            }
        }
    }

    /** Called by a connection when it has ended. */
    void ended(ClientConnection connection, boolean negotiated) {
        connections.remove(connection);
        connectionSlots.release();
        int left = connectionCount.decrementAndGet();
        if (negotiated && left == 0 && !persistent) {
            stopInBackground();
        }
    }

    private void stopInBackground() {
        daemons("nbd-stop").newThread(() -> {
            try {
                close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "flushing on stop failed: " + e.getMessage(), e);
            }
        }).start();
    }

    private static ThreadFactory daemons(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** How the server is set up: exports, address, limits. */
    public static final class Builder {
        private final Map<String, NbdExport> exports = new LinkedHashMap<>();
        private SocketAddress address = new InetSocketAddress(DEFAULT_PORT);
        private int maxConnections;
        private boolean persistent = true;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private int workers = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int connectionBudget = 64 << 20;

        private Builder() {
        }

        /** Adds an export; names must differ. */
        public Builder export(NbdExport export) {
            if (exports.putIfAbsent(export.name(), export) != null) {
                throw new IllegalArgumentException("export '" + export.name() + "' is already defined");
            }
            return this;
        }

        /** Where to listen: an {@link InetSocketAddress} (port 0 picks one) or a {@link UnixDomainSocketAddress}. Default: every interface, port 10809. */
        public Builder listen(SocketAddress newAddress) {
            this.address = Objects.requireNonNull(newAddress);
            return this;
        }

        /** At most this many clients at once (more wait to be accepted); 0, the default, for no limit. */
        public Builder maxConnections(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("connection limit " + count + " is negative");
            }
            this.maxConnections = count;
            return this;
        }

        /** Whether the server keeps running after its last client leaves (default true). */
        public Builder persistent(boolean keepRunning) {
            this.persistent = keepRunning;
            return this;
        }

        /** How long a client may take to reach transmission before it is dropped (default 10 s). */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Threads serving requests, shared by every connection. */
        public Builder workers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("need at least one worker, not " + count);
            }
            this.workers = count;
            return this;
        }

        /** Bytes of requests (payloads and reply data) one connection may have in flight (default 64 MiB, at least 32 MiB). */
        public Builder connectionBudget(int bytes) {
            if (bytes < org.jblock.nbd.wire.Nbd.MAX_PAYLOAD) {
                throw new IllegalArgumentException("a connection budget must hold one largest request");
            }
            this.connectionBudget = bytes;
            return this;
        }

        /** Binds the address and starts accepting clients. */
        public NbdServer start() throws IOException {
            if (exports.isEmpty()) {
                throw new IllegalStateException("no export to serve");
            }
            return new NbdServer(this);
        }
    }
}
