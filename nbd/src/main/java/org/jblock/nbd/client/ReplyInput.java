package org.jblock.nbd.client;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;

/**
 * The reply side of a connection, read with few system calls: reply headers come out of a small
 * buffer that each read of the socket fills as far as the data there allows, and a read's payload
 * goes straight into the caller's buffer by a scattering read whose second buffer catches whatever
 * follows it (the next reply's header, typically). A reply therefore costs the reads its payload
 * needs and seldom one more, however the server splits its replies into chunks and packets.
 *
 * <p>Used by the one thread that reads replies.
 */
final class ReplyInput {
    /**
     * Room for many headers, small enough that the payload bytes a header read brings along (and
     * which are then copied out) stay few.
     */
    static final int BUFFER_SIZE = 8192;

    private final ScatteringByteChannel channel;
    /** The bytes read but not yet taken, between its position and limit. */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE).limit(0);
    private final ByteBuffer[] scatter = new ByteBuffer[2];

    ReplyInput(ScatteringByteChannel channel) {
        this.channel = channel;
    }

    /**
     * @return the buffer, with at least {@code count} (at most {@link #BUFFER_SIZE}) bytes from its
     *         position on; the caller takes them with relative gets
     * @throws EOFException when the connection ends first
     */
    ByteBuffer need(int count) throws IOException {
        if (buffer.remaining() < count) {
            buffer.compact();
            try {
                while (buffer.position() < count) {
                    if (channel.read(buffer) < 0) {
                        throw new EOFException();
                    }
                }
            } finally {
                buffer.flip();
            }
        }
        return buffer;
    }

    /**
     * Fills {@code into} from its position to its limit: first from what is buffered, then straight
     * from the socket.
     *
     * @throws EOFException when the connection ends first
     */
    void readFully(ByteBuffer into) throws IOException {
        int buffered = Math.min(buffer.remaining(), into.remaining());
        if (buffered > 0) {
            int limit = buffer.limit();
            buffer.limit(buffer.position() + buffered);
            into.put(buffer);
            buffer.limit(limit);
        }
        if (!into.hasRemaining()) {
            return;
        }
        buffer.clear();
        scatter[0] = into;
        scatter[1] = buffer;
        try {
            while (into.hasRemaining()) {
                if (channel.read(scatter) < 0) {
                    throw new EOFException();
                }
            }
        } finally {
            scatter[0] = null;
            buffer.flip();
        }
    }

    /** @return the next {@code length} bytes, in a buffer of their own */
    ByteBuffer read(int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        readFully(bytes);
        return bytes.flip();
    }
}
