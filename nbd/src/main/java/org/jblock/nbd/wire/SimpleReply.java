package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/** A simple reply: {@code 0x67446698 (4) | error (4) | cookie (8)}, then a read's data when the error is 0. */
public record SimpleReply(int error, long cookie) {
    public static final int SIZE = 16;

    /** Decodes the reply after its magic, which {@link ReplyMagic} has read. */
    public static SimpleReply decodeAfterMagic(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE - 4, "simple reply");
        return new SimpleReply(buffer.getInt(), buffer.getLong());
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(cookie);
    }
}
