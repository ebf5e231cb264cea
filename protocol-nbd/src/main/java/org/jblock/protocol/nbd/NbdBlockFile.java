package org.jblock.protocol.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.nbd.client.NbdConnection;
import org.jblock.nbd.wire.BlockStatusChunk;
import org.jblock.nbd.wire.Nbd;

/**
 * An NBD export as a {@link BlockFile}: requests larger than the server takes are split, many
 * threads may have requests in flight on a connection (reads of a read-only export on several,
 * see {@link ReadConnections}), and holes are the server's {@code base:allocation} extents that
 * read as zeros with nothing stored.
 */
final class NbdBlockFile implements BlockFile {
    /** Zero writes and trims longer than this go as several requests (their length is 32 bits). */
    private static final long MAX_RANGE = 1L << 30;
    /** The piece of a long read that goes as one request (see {@link #readInPieces}). */
    static final int PIECE = 512 << 10;

    private final Reconnector connections;
    /** Further connections for reads, or null (a writable image, or a server that wants one connection). */
    private final ReadConnections readConnections;
    private final String location;
    private final boolean readOnly;
    private final long size;
    private volatile boolean closed;

    NbdBlockFile(Reconnector connections, ReadConnections readConnections, String location, boolean readOnly) {
        this.connections = connections;
        this.readConnections = readConnections;
        this.location = location;
        this.readOnly = readOnly || connections.connection().isReadOnly();
        this.size = connections.connection().size();
    }

    /** One request on the connection; sent again on a new one when the server dropped it (reconnect-delay). */
    private interface Request<T> {
        T on(NbdConnection connection) throws IOException;
    }

    private <T> T send(Request<T> request) throws IOException {
        while (true) {
            NbdConnection connection = connections.connection();
            try {
                return request.on(connection);
            } catch (IOException e) {
                if (closed) {
                    throw e;
                }
                connections.recover(connection, e);
            }
        }
    }

    private NbdConnection connection() {
        return connections.connection();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        open();
        if (position < 0) {
            throw new InvalidRequestException(location + ": negative offset " + position);
        }
        if (position >= size || !dst.hasRemaining()) {
            return position >= size ? -1 : 0;
        }
        int total = (int) Math.min(dst.remaining(), size - position);
        ByteBuffer all = dst.slice();
        all.limit(total);
        if (!readOnAnother(position, all)) {
            send(connection -> {
                readInPieces(connection, position, all.duplicate());
                return null;
            });
        }
        dst.position(dst.position() + total);
        return total;
    }

    /**
     * Reads on one of the {@link ReadConnections} when it is less busy than the first connection.
     *
     * @return false when the read is still to be made on the first connection: none was less busy,
     *         or the one chosen broke (it is dropped)
     */
    private boolean readOnAnother(long position, ByteBuffer dst) throws IOException {
        if (readConnections == null) {
            return false;
        }
        NbdConnection first = connection();
        NbdConnection chosen = readConnections.pick(first);
        if (chosen == first) {
            return false;
        }
        try {
            readInPieces(chosen, position, dst.duplicate());
            return true;
        } catch (IOException e) {
            if (closed || !chosen.isBroken()) {
                throw e;
            }
            readConnections.drop(chosen);
            return false;
        }
    }

    /**
     * Reads all of {@code dst} at {@code position} with several requests in flight together: a long
     * read is cut into pieces of {@link #PIECE} bytes (and of at most the server's largest), all sent
     * at once before the first reply is awaited, so that the server works on the next piece while
     * the previous one crosses the wire. Returns (or throws the first failure) only when every piece
     * is answered, so no reply lands in the buffer afterwards.
     */
    private static void readInPieces(NbdConnection connection, long position, ByteBuffer dst) throws IOException {
        int total = dst.remaining();
        connection.startRead(position, dst, total < 2 * PIECE ? total : PIECE).await();
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        writable();
        long end = position + src.remaining();
        if (position < 0 || end > size) {
            throw new InvalidRequestException(location + ": cannot write " + src.remaining() + " bytes at offset "
                    + position + ": an NBD export has a fixed size of " + size + " bytes");
        }
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), connection().maxPayload());
            ByteBuffer piece = src.slice();
            piece.limit(n);
            long at = position;
            send(connection -> {
                connection.write(at, piece.duplicate(), false);
                return null;
            });
            src.position(src.position() + n);
            position += n;
        }
    }

    @Override
    public long size() throws IOException {
        open();
        return size;
    }

    @Override
    public void truncate(long newSize) throws IOException {
        writable();
        if (newSize < 0) {
            throw new InvalidRequestException(location + ": negative size " + newSize);
        }
        if (newSize != size) {
            throw new UnsupportedFeatureException(location + ": an NBD export cannot be resized");
        }
    }

    @Override
    public long seekData(long position) throws IOException {
        return seek(position, false);
    }

    @Override
    public long seekHole(long position) throws IOException {
        return seek(position, true);
    }

    /** @return the first offset at or after {@code position} that is (or is not) a hole, or the size */
    private long seek(long position, boolean hole) throws IOException {
        open();
        long at = Math.max(position, 0);
        if (!connection().hasBlockStatus()) {
            return hole ? size : Math.min(at, size);
        }
        while (at < size) {
            long length = Math.min(size - at, 0xffffffffL & ~0xfffL);
            long from = at;
            for (BlockStatusChunk.Descriptor extent : send(connection -> connection.blockStatus(from, length))) {
                boolean isHole = (extent.flags() & (Nbd.STATE_HOLE | Nbd.STATE_ZERO)) == (Nbd.STATE_HOLE | Nbd.STATE_ZERO);
                if (isHole == hole) {
                    return Math.min(at, size);
                }
                at += extent.length();
                if (at >= size) {
                    break;
                }
            }
        }
        return size;
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        writable();
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new InvalidRequestException(location + ": cannot zero " + length + " bytes at offset " + offset
                    + ": an NBD export has a fixed size of " + size + " bytes");
        }
        if (!connection().canWriteZeroes()) {
            BlockFile.super.writeZeroes(offset, length, mayUnmap);
            return;
        }
        for (long done = 0; done < length; ) {
            long n = Math.min(MAX_RANGE, length - done);
            long at = offset + done;
            send(connection -> {
                connection.writeZeroes(at, n, mayUnmap);
                return null;
            });
            done += n;
        }
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writable();
        if (offset < 0 || length < 0) {
            throw new InvalidRequestException(location + ": negative offset or length (" + offset + ", " + length + ")");
        }
        if (!connection().canTrim()) {
            return;
        }
        long end = Math.min(offset + length, size);
        for (long at = offset; at < end; ) {
            long n = Math.min(MAX_RANGE, end - at);
            long from = at;
            send(connection -> {
                connection.trim(from, n);
                return null;
            });
            at += n;
        }
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> abilities = EnumSet.noneOf(Capability.class);
        NbdConnection connection = connection();
        if (!readOnly) {
            abilities.add(Capability.WRITE);
            if (connection.canTrim()) {
                abilities.add(Capability.DISCARD);
            }
            if (connection.canWriteZeroes()) {
                abilities.add(Capability.WRITE_ZEROES);
            }
        }
        if (connection.hasBlockStatus()) {
            abilities.add(Capability.HOLES);
        }
        return abilities;
    }

    @Override
    public void flush() throws IOException {
        open();
        if (!readOnly && connection().canFlush()) {
            send(connection -> {
                connection.flush();
                return null;
            });
        }
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return location;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            if (readConnections != null) {
                readConnections.close();
            }
            connections.close();
        }
    }

    private void open() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(location);
        }
    }

    private void writable() throws IOException {
        open();
        if (readOnly) {
            throw new ReadOnlyImageException(location);
        }
    }
}
