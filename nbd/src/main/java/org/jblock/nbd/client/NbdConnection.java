package org.jblock.nbd.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.spi.support.Sockets;
import org.jblock.nbd.wire.BlockSizes;
import org.jblock.nbd.wire.BlockStatusChunk;
import org.jblock.nbd.wire.ChunkHeader;
import org.jblock.nbd.wire.ErrorChunk;
import org.jblock.nbd.wire.Nbd;
import org.jblock.nbd.wire.ProtocolException;
import org.jblock.nbd.wire.ReplyMagic;
import org.jblock.nbd.wire.Request;
import org.jblock.nbd.wire.SimpleReply;
import org.jblock.nbd.wire.Wire;

/**
 * A client's connection to one NBD export: fixed newstyle handshake with {@code NBD_OPT_GO},
 * structured replies and {@code base:allocation} when the server offers them, and any number of
 * requests in flight from many threads at once (a reader thread matches replies to requests by
 * cookie, in whatever order they come).
 *
 * <p>Every failure is an {@link IOException} naming what went wrong: a refused export, a dropped
 * connection (every request in flight and every later one fails), a server error (with its errno
 * name and message), a missing feature.
 */
public final class NbdConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final String description;
    private final long size;
    private final int flags;
    private final boolean structured;
    private final int allocationContext;
    private final BlockSizes sizes;
    private final Object sendLock = new Object();
    private final ByteBuffer header = ByteBuffer.allocateDirect(Request.SIZE);
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    private final Thread reader;
    private volatile IOException broken;

    private NbdConnection(SocketChannel channel, String description, ClientHandshake handshake) {
        this.channel = channel;
        this.description = description;
        this.size = handshake.info().size();
        this.flags = handshake.info().flags();
        this.structured = handshake.structured();
        this.allocationContext = handshake.allocationContext();
        this.sizes = handshake.sizes();
        this.reader = new Thread(this::readReplies, "nbd-client-replies");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to {@code address} (a TCP or Unix socket address) and opens {@code export}.
     *
     * @param description how the server is named in messages (an NBD URI)
     */
    public static NbdConnection open(SocketAddress address, String export, String description) throws IOException {
        SocketChannel channel = connect(address);
        try {
            ClientHandshake handshake = ClientHandshake.greet(channel, description);
            handshake.go(export);
            return new NbdConnection(channel, description, handshake);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** @return a connected channel, or an error in QEMU's words saying where it could not connect */
    static SocketChannel connect(SocketAddress address) throws IOException {
        return Sockets.connect(address);
    }

    /** @return the export's size in bytes */
    public long size() {
        return size;
    }

    /** @return whether the server refuses writes */
    public boolean isReadOnly() {
        return has(Nbd.FLAG_READ_ONLY);
    }

    public boolean canFlush() {
        return has(Nbd.FLAG_SEND_FLUSH);
    }

    public boolean canTrim() {
        return has(Nbd.FLAG_SEND_TRIM);
    }

    public boolean canWriteZeroes() {
        return has(Nbd.FLAG_SEND_WRITE_ZEROES);
    }

    public boolean canFua() {
        return has(Nbd.FLAG_SEND_FUA);
    }

    /**
     * @return whether the server says every connection to the export sees the same data
     *         ({@code NBD_FLAG_CAN_MULTI_CONN}), so a client may spread its requests over several
     */
    public boolean canMultiConn() {
        return has(Nbd.FLAG_CAN_MULTI_CONN);
    }

    /** @return how many requests are sent and not yet answered (a measure of how busy the connection is) */
    public int requestsInFlight() {
        return pending.size();
    }

    /** @return whether {@link #blockStatus} works: structured replies and {@code base:allocation} agreed */
    public boolean hasBlockStatus() {
        return allocationContext >= 0;
    }

    /** @return the largest read or write the server takes in one request */
    public int maxPayload() {
        return Integer.compareUnsigned(sizes.maximum(), Nbd.MAX_PAYLOAD) > 0 ? Nbd.MAX_PAYLOAD : sizes.maximum();
    }

    /** @return the server's alignment for requests (1 when it sets none) */
    public int minimumBlock() {
        return sizes.minimum();
    }

    private boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Reads {@code dst.remaining()} bytes (at most {@link #maxPayload()}) at {@code offset}. */
    public void read(long offset, ByteBuffer dst) throws IOException {
        startRead(offset, dst).await();
    }

    /** A read on its way: its reply fills the buffer, {@link #await} waits for it. */
    public interface InFlight {
        /** Waits for the reply; the buffer is then full and its position at its limit. */
        void await() throws IOException;
    }

    /**
     * Sends a read of {@code dst.remaining()} bytes (at most {@link #maxPayload()}) at {@code offset}
     * and returns without waiting: reads started one after the other are in flight together, and
     * the server may work on them at once. Each must be awaited before its buffer is used or given up.
     */
    public InFlight startRead(long offset, ByteBuffer dst) throws IOException {
        return startRead(offset, dst, Math.max(1, dst.remaining()));
    }

    /**
     * As {@link #startRead(long, ByteBuffer)} for a read of any length: it goes as requests of at
     * most {@code piece} bytes (and at most {@link #maxPayload()}), sent together in one write, so
     * that the server works on the next piece while the previous one crosses the wire. The read
     * returned is answered when every piece is: its {@link InFlight#await} throws the first piece's
     * failure, and only once no reply can land in the buffer any more.
     */
    public InFlight startRead(long offset, ByteBuffer dst, int piece) throws IOException {
        int total = dst.remaining();
        int size = Math.max(1, Math.min(piece, maxPayload()));
        int count = Math.max(1, (total + size - 1) / size);
        CountDownLatch answered = new CountDownLatch(count);
        Pending[] pieces = new Pending[count];
        for (int k = 0; k < count; k++) {
            int from = k * size;
            pieces[k] = new Pending(Nbd.CMD_READ, offset + from, dst.slice(dst.position() + from,
                    Math.min(size, total - from)), answered);
        }
        sendAll(pieces);
        return () -> {
            Pending.awaitAll(answered, pieces);
            dst.position(dst.limit());
        };
    }

    /** Writes all of {@code src} (at most {@link #maxPayload()} bytes) at {@code offset}; with {@code fua}, durably. */
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        Pending request = new Pending(Nbd.CMD_WRITE, offset, null);
        send(request, fua ? Nbd.CMD_FLAG_FUA : 0, src.remaining(), src);
        request.await();
    }

    public void flush() throws IOException {
        Pending request = new Pending(Nbd.CMD_FLUSH, 0, null);
        send(request, 0, 0, null);
        request.await();
    }

    public void trim(long offset, long length) throws IOException {
        Pending request = new Pending(Nbd.CMD_TRIM, offset, null);
        send(request, 0, length, null);
        request.await();
    }

    /** Makes the range read as zeros; {@code mayUnmap} false asks the server to keep it allocated. */
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        Pending request = new Pending(Nbd.CMD_WRITE_ZEROES, offset, null);
        send(request, mayUnmap ? 0 : Nbd.CMD_FLAG_NO_HOLE, length, null);
        request.await();
    }

    /**
     * @return the allocation of the range from its start, as the server describes it: at least one
     *         extent; they may end before or after the range's end
     */
    public List<BlockStatusChunk.Descriptor> blockStatus(long offset, long length) throws IOException {
        if (!hasBlockStatus()) {
            throw new IOException(description + ": the server offers no block status (base:allocation)");
        }
        Pending request = new Pending(Nbd.CMD_BLOCK_STATUS, offset, null);
        send(request, 0, length, null);
        request.await();
        if (request.extents == null) {
            throw new ProtocolException(description + ": the server answered block status without extents");
        }
        return request.extents;
    }

    /**
     * @return whether the connection is lost (the server dropped it, or it was closed): every
     *         request fails from then on, where an NBD error reply fails just its request
     */
    public boolean isBroken() {
        return broken != null;
    }

    /** Ends the session politely (NBD_CMD_DISC) and closes the connection. */
    @Override
    public void close() throws IOException {
        if (broken == null) {
            try {
                synchronized (sendLock) {
                    header.clear();
                    new Request(0, Nbd.CMD_DISC, cookies.incrementAndGet(), 0, 0).encode(header);
                    Wire.writeFully(channel, header.flip());
                }
            } catch (IOException e) {
                // Closing anyway.
            }
        }
        fail(new IOException(description + ": the connection is closed"));
        channel.close();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends reads, their headers in one write; each fails alone if the connection breaks meanwhile. */
    private void sendAll(Pending[] reads) throws IOException {
        IOException failure = broken;
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        ByteBuffer headers = ByteBuffer.allocateDirect(reads.length * Request.SIZE);
        long[] sent = new long[reads.length];
        for (int k = 0; k < reads.length; k++) {
            Pending read = reads[k];
            read.length = read.dst.remaining();
            sent[k] = cookies.incrementAndGet();
            pending.put(sent[k], read);
            new Request(0, read.type, sent[k], read.offset, read.length).encode(headers);
        }
        try {
            synchronized (sendLock) {
                Wire.writeFully(channel, headers.flip());
            }
        } catch (IOException e) {
            IOException dropped = new IOException(description + ": the server closed the connection (" + reason(e) + ")", e);
            fail(dropped);
            throw dropped;
        }
        for (int k = 0; k < reads.length; k++) {
            if (broken != null && pending.remove(sent[k]) != null) {
                reads[k].fail(broken);
            }
        }
    }

    private void send(Pending request, int commandFlags, long length, ByteBuffer data) throws IOException {
        IOException failure = broken;
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        long cookie = cookies.incrementAndGet();
        request.length = length;
        pending.put(cookie, request);
        try {
            synchronized (sendLock) {
                header.clear();
                new Request(commandFlags, request.type, cookie, request.offset, length).encode(header);
                if (data == null) {
                    Wire.writeFully(channel, header.flip());
                } else {
                    ByteBuffer payload = data.duplicate();
                    Wire.writeFully(channel, header.flip(), payload);
                    data.position(data.limit());
                }
            }
        } catch (IOException e) {
            pending.remove(cookie);
            IOException dropped = new IOException(description + ": the server closed the connection (" + reason(e) + ")", e);
            fail(dropped);
            throw dropped;
        }
        if (broken != null && pending.remove(cookie) != null) {
            request.fail(broken);
        }
    }

    private void readReplies() {
        ReplyInput in = new ReplyInput(channel);
        try {
            while (true) {
                if (ReplyMagic.structured(in.need(4))) {
                    chunk(in, ChunkHeader.decodeAfterMagic(in.need(ChunkHeader.SIZE - 4)));
                } else {
                    SimpleReply reply = SimpleReply.decodeAfterMagic(in.need(SimpleReply.SIZE - 4));
                    Pending request = take(reply.cookie(), true);
                    if (reply.error() != 0) {
                        request.error = error(request, reply.error(), null);
                    } else if (request.type == Nbd.CMD_READ) {
                        in.readFully(request.dst.duplicate());
                    }
                    request.done();
                }
            }
        } catch (IOException e) {
            if (broken == null) {
                fail(new IOException(description + ": the server closed the connection"
                        + (e instanceof EOFException ? "" : " (" + reason(e) + ")"), e));
            }
        }
    }

    private void chunk(ReplyInput in, ChunkHeader chunk) throws IOException {
        Pending request = take(chunk.cookie(), chunk.isDone());
        long length = chunk.length();
        if (chunk.isError()) {
            ByteBuffer payload = payload(in, length, chunk);
            if (chunk.type() == Nbd.REPLY_TYPE_ERROR || chunk.type() == Nbd.REPLY_TYPE_ERROR_OFFSET) {
                ErrorChunk error = ErrorChunk.decode(chunk.type(), payload);
                request.error = error(request, error.error(), error.message());
            } else {
                request.error = new IOException(description + ": unknown error chunk type " + chunk.type());
            }
        } else if (chunk.type() == Nbd.REPLY_TYPE_OFFSET_DATA && request.type == Nbd.CMD_READ) {
            if (length < 9) {
                throw new ProtocolException("data chunk of " + length + " bytes");
            }
            long at = in.need(8).getLong();
            in.readFully(slice(request, at, length - 8));
        } else if (chunk.type() == Nbd.REPLY_TYPE_OFFSET_HOLE && request.type == Nbd.CMD_READ) {
            ByteBuffer payload = payload(in, length, chunk);
            Wire.need(payload, 12, "hole chunk");
            long at = payload.getLong();
            ByteBuffer into = slice(request, at, Integer.toUnsignedLong(payload.getInt()));
            while (into.hasRemaining()) {
                into.put((byte) 0);
            }
        } else if (chunk.type() == Nbd.REPLY_TYPE_BLOCK_STATUS && request.type == Nbd.CMD_BLOCK_STATUS) {
            BlockStatusChunk status = BlockStatusChunk.decode(payload(in, length, chunk));
            if (status.contextId() == allocationContext) {
                request.extents = status.extents();
            }
        } else if (chunk.type() != Nbd.REPLY_TYPE_NONE || length != 0) {
            throw new ProtocolException("unexpected chunk type " + chunk.type() + " for "
                    + Nbd.commandName(request.type));
        }
        if (chunk.isDone()) {
            request.done();
        }
    }

    private static ByteBuffer payload(ReplyInput in, long length, ChunkHeader chunk) throws IOException {
        if (length > (1 << 24)) {
            throw new ProtocolException("chunk of type " + chunk.type() + " with " + length + " bytes");
        }
        return in.read((int) length);
    }

    /** @return the part of a read's buffer that a chunk at {@code at} of {@code length} bytes fills */
    private static ByteBuffer slice(Pending request, long at, long length) throws ProtocolException {
        long from = at - request.offset;
        if (from < 0 || length < 0 || from + length > request.dst.remaining()) {
            throw new ProtocolException("chunk at " + at + " of " + length + " bytes is outside the read at "
                    + request.offset + " of " + request.dst.remaining() + " bytes");
        }
        ByteBuffer into = request.dst.duplicate();
        into.position(request.dst.position() + (int) from);
        into.limit(into.position() + (int) length);
        return into;
    }

    private Pending take(long cookie, boolean last) throws ProtocolException {
        Pending request = last ? pending.remove(cookie) : pending.get(cookie);
        if (request == null) {
            throw new ProtocolException("reply for unknown cookie " + cookie);
        }
        return request;
    }

    private IOException error(Pending request, int errno, String message) {
        String text = description + ": " + Nbd.commandName(request.type) + " at offset " + request.offset
                + " failed: " + Nbd.errorName(errno) + (message == null || message.isEmpty() ? "" : " (server reported: " + message + ")");
        if (errno == Nbd.EPERM) {
            return new java.nio.file.AccessDeniedException(description, null, text);
        }
        return new IOException(text);
    }

    /** The connection is unusable: fail what is in flight and all that comes. */
    private void fail(IOException cause) {
        if (broken == null) {
            broken = cause;
        }
        for (Long cookie : new ArrayList<>(pending.keySet())) {
            Pending request = pending.remove(cookie);
            if (request != null) {
                request.fail(broken);
            }
        }
    }

    static String describe(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            return ((UnixDomainSocketAddress) address).getPath().toString();
        }
        java.net.InetSocketAddress inet = (java.net.InetSocketAddress) address;
        return inet.getHostString() + ":" + inet.getPort();
    }

    static String reason(IOException e) {
        return Sockets.reason(e);
    }

    /** A request waiting for its reply. */
    private static final class Pending {
        final int type;
        final long offset;
        final ByteBuffer dst;
        long length;
        volatile IOException error;
        volatile List<BlockStatusChunk.Descriptor> extents;
        /** Counted down once, when this request is answered or fails; may be shared by the pieces of one read. */
        private final CountDownLatch done;

        Pending(int type, long offset, ByteBuffer dst) {
            this(type, offset, dst, new CountDownLatch(1));
        }

        Pending(int type, long offset, ByteBuffer dst, CountDownLatch done) {
            this.type = type;
            this.offset = offset;
            this.dst = dst;
            this.done = done;
        }

        /** Waits until every one of {@code requests}, which share {@code answered}, is answered; throws the first failure. */
        static void awaitAll(CountDownLatch answered, Pending[] requests) throws IOException {
            await(answered);
            for (Pending request : requests) {
                request.throwFailure();
            }
        }

        void done() {
            done.countDown();
        }

        void fail(IOException cause) {
            if (error == null) {
                error = cause;
            }
            done.countDown();
        }

        void await() throws IOException {
            await(done);
            throwFailure();
        }

        private static void await(CountDownLatch latch) throws IOException {
            try {
                latch.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the NBD server");
            }
        }

        private void throwFailure() throws IOException {
            IOException failure = error;
            if (failure != null) {
                if (failure instanceof java.nio.file.AccessDeniedException) {
                    throw failure;
                }
                throw new IOException(failure.getMessage(), failure);
            }
        }
    }
}
