package org.jblock.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

import org.jblock.api.BlockFile;

/**
 * A reply as it goes on the wire: buffers in order, any of them followed by bytes that the image's
 * storage sends to the socket itself ({@link BlockFile#transferTo}, no copy through this process).
 *
 * @param buffers the reply's bytes in memory; direct ones come from the server's pool
 * @param after   {@code after[i]}, when not null, is sent right after {@code buffers[i]}; null when
 *                the reply is all buffers
 */
record Reply(ByteBuffer[] buffers, Stored[] after) {

    /** Bytes of a storage: {@code length} bytes at {@code position} of {@code file}. */
    record Stored(BlockFile file, long position, long length) {
        void sendTo(WritableByteChannel channel) throws IOException {
            file.transferTo(position, length, channel);
        }
    }

    static Reply of(ByteBuffer... buffers) {
        return new Reply(buffers, null);
    }

    /** @return what follows buffer {@code i}, or null */
    Stored after(int i) {
        return after == null ? null : after[i];
    }
}
