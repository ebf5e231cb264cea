package org.jblock.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.nbd.wire.BlockStatusChunk;
import org.jblock.nbd.wire.ChunkHeader;
import org.jblock.nbd.wire.ErrorChunk;
import org.jblock.nbd.wire.Nbd;
import org.jblock.nbd.wire.ProtocolException;
import org.jblock.nbd.wire.Request;
import org.jblock.nbd.wire.SimpleReply;

/**
 * The transmission phase of one connection: this thread reads requests and hands each to the
 * server's workers; replies go out through the connection's {@link ReplyWriter} as they complete.
 */
final class Transmission {
    private static final System.Logger LOG = System.getLogger(Transmission.class.getName());
    /** What every request counts against the connection's budget beyond its data. */
    private static final int REQUEST_COST = 4096;
    /** Block status replies carry at most this many extents (fewer is allowed). */
    private static final int MAX_EXTENTS = 64 << 10;

    private final NbdServer server;
    private final SocketChannel channel;
    private final BlockImage image;
    private final long size;
    private final boolean readOnly;
    private final boolean structured;
    private final boolean allocationContext;
    private final int budgetBytes;
    private final Semaphore budget;
    private final ReplyWriter writer;
    private final BufferPool buffers;
    /**
     * For each layer of the image (0: its own, 1: its backing image...), the storage that sends a
     * data run's bytes itself, or null where they are read through the image.
     */
    private final BlockFile[] storages;
    private static final Runnable NOTHING = () -> { };

    Transmission(NbdServer server, SocketChannel channel, Negotiation.Session session) {
        this.server = server;
        this.channel = channel;
        this.image = session.export().image();
        this.size = session.size();
        this.readOnly = (session.flags() & Nbd.FLAG_READ_ONLY) != 0;
        this.structured = session.structured();
        this.allocationContext = session.allocationContext();
        this.budgetBytes = server.connectionBudget();
        this.budget = new Semaphore(budgetBytes);
        this.writer = new ReplyWriter(channel, budget);
        this.buffers = server.buffers();
        this.storages = transferringStorages(image);
    }

    /**
     * The storages of the image's layers that send bytes to a socket themselves ({@link
     * BlockFile.Capability#TRANSFER}), so that a read's data goes from the file to the client without
     * a copy here. Only for a read-only image: the reply is sent after the block status that says
     * where the data lies, and a write in between could move it.
     */
    private static BlockFile[] transferringStorages(BlockImage image) {
        List<BlockFile> storages = new ArrayList<>();
        if (image.isReadOnly()) {
            for (BlockImage layer = image; layer != null; layer = layer.backing().orElse(null)) {
                storages.add(layer.hostStorage()
                        .filter(file -> file.capabilities().contains(BlockFile.Capability.TRANSFER))
                        .orElse(null));
            }
        }
        return storages.toArray(new BlockFile[0]);
    }

    /** Serves requests until the client disconnects, then waits for the requests in flight to be answered. */
    void run() throws IOException {
        Thread writerThread = new Thread(writer, "nbd-replies");
        writerThread.setDaemon(true);
        writerThread.start();
        try {
            readRequests();
        } finally {
            // Every request returns its cost once answered: the whole budget back means none is in flight.
            budget.acquireUninterruptibly(budgetBytes);
            budget.release(budgetBytes);
            writer.finish();
            try {
                writerThread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes no more requests; those in flight are still answered. */
    void stopReading() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            // The connection is gone already.
        }
    }

    private void readRequests() throws IOException {
        ByteBuffer in = ByteBuffer.allocateDirect(64 << 10).flip();
        while (true) {
            if (!fill(in, Request.SIZE)) {
                return;
            }
            Request request = Request.decode(in);
            if (request.type() == Nbd.CMD_DISC) {
                return;
            }
            ByteBuffer data = null;
            int cost = REQUEST_COST;
            if (request.type() == Nbd.CMD_WRITE) {
                if (request.length() > Nbd.MAX_PAYLOAD) {
                    throw new ProtocolException("write of " + request.length() + " bytes is larger than "
                            + Nbd.MAX_PAYLOAD);
                }
                cost += (int) request.length();
                budget.acquireUninterruptibly(cost);
                data = buffers.take((int) request.length());
                try {
                    readPayload(in, data);
                } catch (IOException e) {
                    buffers.give(data);
                    budget.release(cost);
                    throw e;
                }
                data.flip();
            } else {
                if (request.type() == Nbd.CMD_READ && request.length() <= Nbd.MAX_PAYLOAD) {
                    cost += (int) request.length();
                }
                budget.acquireUninterruptibly(cost);
            }
            dispatch(request, data, cost);
        }
    }

    private void dispatch(Request request, ByteBuffer data, int cost) {
        try {
            server.workers().execute(() -> serve(request, data, cost));
        } catch (RejectedExecutionException e) {
            if (data != null) {
                buffers.give(data);
            }
            writer.send(cost, NOTHING, error(request, Nbd.ESHUTDOWN, "server is shutting down"));
        }
    }

    /** @return false at a clean end of the stream (before a request); throws when one is cut short */
    private boolean fill(ByteBuffer in, int count) throws IOException {
        while (in.remaining() < count) {
            in.compact();
            int read;
            try {
                read = channel.read(in);
            } finally {
                in.flip();
            }
            if (read < 0) {
                if (in.hasRemaining()) {
                    throw new EOFException("the client closed the connection in the middle of a request");
                }
                return false;
            }
        }
        return true;
    }

    private void readPayload(ByteBuffer in, ByteBuffer data) throws IOException {
        int take = Math.min(in.remaining(), data.remaining());
        ByteBuffer part = in.slice();
        part.limit(take);
        data.put(part);
        in.position(in.position() + take);
        while (data.hasRemaining()) {
            if (channel.read(data) < 0) {
                throw new EOFException("the client closed the connection in the middle of a write");
            }
        }
    }

    /**
     * Runs on a worker: performs the request and queues its reply. The reply's direct buffers come
     * from the pool (its headers are small heap buffers) and go back to it once sent.
     */
    private void serve(Request request, ByteBuffer data, int cost) {
        Reply reply;
        try {
            reply = perform(request, data);
        } catch (IOException | RuntimeException e) {
            if (e instanceof RuntimeException) {
                LOG.log(System.Logger.Level.WARNING, "the image failed on " + Nbd.commandName(request.type())
                        + ": " + e, e);
            }
            reply = error(request, errorValue(e), message(e));
        } finally {
            if (data != null) {
                buffers.give(data);
            }
        }
        Reply sent = reply;
        writer.send(cost, () -> {
            for (ByteBuffer buffer : sent.buffers()) {
                if (buffer.isDirect()) {
                    buffers.give(buffer);
                }
            }
        }, sent);
    }

    private Reply perform(Request request, ByteBuffer data) throws IOException {
        int type = request.type();
        int allowed = Nbd.CMD_FLAG_FUA;
        if (type == Nbd.CMD_READ && structured) {
            allowed |= Nbd.CMD_FLAG_DF;
        } else if (type == Nbd.CMD_WRITE_ZEROES) {
            allowed |= Nbd.CMD_FLAG_NO_HOLE | Nbd.CMD_FLAG_FAST_ZERO;
        } else if (type == Nbd.CMD_BLOCK_STATUS) {
            allowed |= Nbd.CMD_FLAG_REQ_ONE;
        }
        if ((request.flags() & ~allowed) != 0) {
            return error(request, Nbd.EINVAL, "unsupported flags 0x" + Integer.toHexString(request.flags())
                    + " for " + Nbd.commandName(type));
        }
        switch (type) {
            case Nbd.CMD_READ:
                if (request.length() > Nbd.MAX_PAYLOAD) {
                    return error(request, Nbd.EINVAL, "read of " + request.length() + " bytes is larger than "
                            + Nbd.MAX_PAYLOAD);
                }
                if (request.endsAfter(size)) {
                    return pastEnd(request, Nbd.EINVAL);
                }
                return read(request);
            case Nbd.CMD_WRITE:
                if (readOnly) {
                    return readOnlyError(request);
                }
                if (request.endsAfter(size)) {
                    return pastEnd(request, Nbd.ENOSPC);
                }
                image.write(request.offset(), data);
                return done(request);
            case Nbd.CMD_FLUSH:
                image.flush();
                return success(request);
            case Nbd.CMD_TRIM:
                if (readOnly) {
                    return readOnlyError(request);
                }
                if (request.endsAfter(size)) {
                    return pastEnd(request, Nbd.EINVAL);
                }
                if (request.length() > 0) {
                    image.discard(request.offset(), request.length());
                }
                return done(request);
            case Nbd.CMD_CACHE:
                if (request.endsAfter(size)) {
                    return pastEnd(request, Nbd.EINVAL);
                }
                return success(request);
            case Nbd.CMD_WRITE_ZEROES:
                return writeZeroes(request);
            case Nbd.CMD_BLOCK_STATUS:
                return blockStatus(request);
            default:
                return error(request, Nbd.EINVAL, "invalid request type (" + type + ") received");
        }
    }

    private Reply writeZeroes(Request request) throws IOException {
        if (readOnly) {
            return readOnlyError(request);
        }
        if (request.endsAfter(size)) {
            return pastEnd(request, Nbd.ENOSPC);
        }
        if (request.length() == 0) {
            return done(request);
        }
        if (request.has(Nbd.CMD_FLAG_FAST_ZERO) && !image.zeroesCheaply(request.offset(), request.length())) {
            return error(request, Nbd.ENOTSUP, "zeroing this range is not faster than writing it");
        }
        image.writeZeroes(request.offset(), request.length(), !request.has(Nbd.CMD_FLAG_NO_HOLE));
        return done(request);
    }

    /**
     * A run of a read's reply: zeros (a hole chunk), bytes to read through the image, or bytes the
     * storage of layer {@code depth} sends itself from {@code hostOffset}.
     */
    private record Run(long start, long length, boolean zero, BlockFile storage, long hostOffset) {
        /** @return whether {@code next} continues this run in the same way (and, stored, from the same place) */
        boolean continuedBy(Run next) {
            return next.zero == zero && next.storage == storage
                    && (storage == null || next.hostOffset == hostOffset + length);
        }

        Run extendedBy(long more) {
            return new Run(start, length + more, zero, storage, hostOffset);
        }
    }

    private Reply read(Request request) throws IOException {
        int length = (int) request.length();
        long offset = request.offset();
        if (structured && length == 0) {
            return Reply.of(chunk(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_NONE, request.cookie(), 0).flip());
        }
        List<Run> runs = runs(offset, length);
        if (!structured || (request.has(Nbd.CMD_FLAG_DF) && runs.size() > 1)) {
            // One piece of data: sent from the storage when one run covers it, else read.
            Run only = runs.size() == 1 && !runs.get(0).zero() ? runs.get(0) : new Run(offset, length, false, null, 0);
            runs = List.of(only);
        }
        List<ByteBuffer> parts = new ArrayList<>();
        List<Reply.Stored> after = new ArrayList<>();
        if (!structured) {
            parts.add(simple(0, request.cookie()));
            after.add(null);
        }
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            int flags = i == runs.size() - 1 ? Nbd.REPLY_FLAG_DONE : 0;
            if (run.zero()) {
                ByteBuffer hole = chunk(flags, Nbd.REPLY_TYPE_OFFSET_HOLE, request.cookie(), 12);
                parts.add(hole.putLong(run.start()).putInt((int) run.length()).flip());
                after.add(null);
                continue;
            }
            if (structured) {
                ByteBuffer header = chunk(flags, Nbd.REPLY_TYPE_OFFSET_DATA, request.cookie(), 8 + run.length());
                parts.add(header.putLong(run.start()).flip());
                after.add(null);
            }
            if (run.storage() != null) {
                after.set(after.size() - 1, new Reply.Stored(run.storage(), run.hostOffset(), run.length()));
                continue;
            }
            ByteBuffer data = buffers.take((int) run.length());
            try {
                image.read(run.start(), data);
            } catch (IOException | RuntimeException e) {
                buffers.give(data);
                if (!structured) {
                    throw e;
                }
                // Chunks already made stand; the error names where reading failed and ends the reply.
                parts.remove(parts.size() - 1);
                after.remove(after.size() - 1);
                parts.add(errorChunk(request.cookie(), new ErrorChunk(errorValue(e), message(e),
                        OptionalLong.of(run.start()))));
                after.add(null);
                return reply(parts, after);
            }
            parts.add(data.flip());
            after.add(null);
        }
        return reply(parts, after);
    }

    private static Reply reply(List<ByteBuffer> buffers, List<Reply.Stored> after) {
        boolean stored = after.stream().anyMatch(java.util.Objects::nonNull);
        return new Reply(buffers.toArray(new ByteBuffer[0]), stored ? after.toArray(new Reply.Stored[0]) : null);
    }

    /**
     * @return the range as runs of zeros, of data to read and of data each storage sends itself
     *         (only where the image is read-only: see {@link BlockImage#hostStorage()}), neighbours merged
     */
    private List<Run> runs(long offset, int length) throws IOException {
        List<Run> runs = new ArrayList<>(2);
        for (Extent extent : image.blockStatus(offset, length)) {
            BlockFile storage = null;
            long host = 0;
            if (!extent.zero() && extent.data() && extent.hostOffset().isPresent() && extent.depth() < storages.length) {
                storage = storages[extent.depth()];
                host = extent.hostOffset().getAsLong();
            }
            Run next = new Run(extent.start(), extent.length(), extent.zero(), storage, host);
            int last = runs.size() - 1;
            if (last >= 0 && runs.get(last).continuedBy(next)) {
                runs.set(last, runs.get(last).extendedBy(next.length()));
            } else {
                runs.add(next);
            }
        }
        return runs;
    }

    private Reply blockStatus(Request request) throws IOException {
        if (!allocationContext) {
            return error(request, Nbd.EINVAL, "no metadata context was selected for block status");
        }
        if (request.length() == 0) {
            return error(request, Nbd.EINVAL, "block status of 0 bytes");
        }
        if (request.endsAfter(size)) {
            return pastEnd(request, Nbd.EINVAL);
        }
        List<BlockStatusChunk.Descriptor> extents = new ArrayList<>();
        long lastLength = 0;
        int lastFlags = -1;
        for (Extent extent : image.blockStatus(request.offset(), request.length())) {
            int flags = (extent.data() ? 0 : Nbd.STATE_HOLE) | (extent.zero() ? Nbd.STATE_ZERO : 0);
            if (flags == lastFlags) {
                lastLength += extent.length();
                extents.set(extents.size() - 1, new BlockStatusChunk.Descriptor(lastLength, flags));
                continue;
            }
            if (extents.size() == MAX_EXTENTS || (request.has(Nbd.CMD_FLAG_REQ_ONE) && !extents.isEmpty())) {
                break;
            }
            lastLength = extent.length();
            lastFlags = flags;
            extents.add(new BlockStatusChunk.Descriptor(lastLength, flags));
        }
        BlockStatusChunk status = new BlockStatusChunk(Negotiation.ALLOCATION_CONTEXT_ID, extents);
        ByteBuffer reply = chunk(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_BLOCK_STATUS, request.cookie(), status.size());
        status.encode(reply);
        return Reply.of(reply.flip());
    }

    /** A write-type command succeeded: with FUA, only once it is durable. */
    private Reply done(Request request) throws IOException {
        if (request.has(Nbd.CMD_FLAG_FUA)) {
            image.flush();
        }
        return success(request);
    }

    private static Reply success(Request request) {
        return Reply.of(simple(0, request.cookie()));
    }

    private Reply readOnlyError(Request request) {
        return error(request, Nbd.EPERM, "the export is read-only");
    }

    private Reply pastEnd(Request request, int error) {
        return error(request, error, Nbd.commandName(request.type()) + " of "
                + request.length() + " bytes at offset " + Long.toUnsignedString(request.offset())
                + " reaches past the end of the export (" + size + " bytes)");
    }

    private Reply error(Request request, int error, String message) {
        // A read always gets a structured reply once they are agreed; errors carry their message then.
        if (structured) {
            return Reply.of(errorChunk(request.cookie(), new ErrorChunk(error, message, OptionalLong.empty())));
        }
        return Reply.of(simple(error, request.cookie()));
    }

    private static ByteBuffer errorChunk(long cookie, ErrorChunk error) {
        ByteBuffer buffer = chunk(Nbd.REPLY_FLAG_DONE, error.type(), cookie, error.size());
        error.encode(buffer);
        return buffer.flip();
    }

    private static ByteBuffer simple(int error, long cookie) {
        ByteBuffer buffer = ByteBuffer.allocate(SimpleReply.SIZE);
        new SimpleReply(error, cookie).encode(buffer);
        return buffer.flip();
    }

    /** @return a buffer holding the chunk header, with room for {@code payload} bytes if they are small */
    private static ByteBuffer chunk(int flags, int type, long cookie, long payload) {
        int room = type == Nbd.REPLY_TYPE_OFFSET_DATA ? 8 : (int) payload;
        ByteBuffer buffer = ByteBuffer.allocate(ChunkHeader.SIZE + room);
        new ChunkHeader(flags, type, cookie, payload).encode(buffer);
        return buffer;
    }

    private static int errorValue(Exception e) {
        if (e instanceof ReadOnlyImageException) {
            return Nbd.EPERM;
        }
        if (e instanceof InvalidRequestException) {
            return Nbd.EINVAL;
        }
        String text = String.valueOf(e.getMessage());
        if (text.contains("No space left") || text.contains("Disk quota") || text.contains("File too large")) {
            return Nbd.ENOSPC;
        }
        return Nbd.EIO;
    }

    private static String message(Exception e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        text = text.replace('\n', ' ');
        return text.length() > 1024 ? text.substring(0, 1024) : text;
    }
}
