package org.jblock.nbd.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of an {@code NBD_REPLY_TYPE_BLOCK_STATUS} chunk:
 * {@code context id (4) | n × (extent length (4) | status flags (4))}.
 */
public record BlockStatusChunk(int contextId, List<Descriptor> extents) {
    /** More descriptors than this in one chunk are not sent (the specification's advice). */
    public static final int MAX_DESCRIPTORS = 1 << 20;

    /** One extent: {@code length} bytes (unsigned 32-bit, not zero) with {@code flags}. */
    public record Descriptor(long length, int flags) {
    }

    public BlockStatusChunk {
        extents = List.copyOf(extents);
    }

    public static BlockStatusChunk decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, 4, "block status chunk");
        int id = buffer.getInt();
        if (buffer.remaining() % 8 != 0 || buffer.remaining() == 0) {
            throw new ProtocolException("block status chunk with " + buffer.remaining()
                    + " bytes of descriptors, not a positive multiple of 8");
        }
        List<Descriptor> extents = new ArrayList<>(buffer.remaining() / 8);
        while (buffer.hasRemaining()) {
            long length = Integer.toUnsignedLong(buffer.getInt());
            if (length == 0) {
                throw new ProtocolException("block status extent of length 0");
            }
            extents.add(new Descriptor(length, buffer.getInt()));
        }
        return new BlockStatusChunk(id, extents);
    }

    public int size() {
        return 4 + 8 * extents.size();
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(contextId);
        for (Descriptor extent : extents) {
            buffer.putInt((int) extent.length()).putInt(extent.flags());
        }
    }
}
