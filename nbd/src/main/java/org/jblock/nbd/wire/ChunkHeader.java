package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * The header of a structured reply chunk:
 * {@code 0x668e33ef (4) | flags (2) | type (2) | cookie (8) | payload length (4)}, then the payload.
 */
public record ChunkHeader(int flags, int type, long cookie, long length) {
    public static final int SIZE = 20;

    public boolean isDone() {
        return (flags & Nbd.REPLY_FLAG_DONE) != 0;
    }

    public boolean isError() {
        return (type & Nbd.REPLY_TYPE_FLAG_ERROR) != 0;
    }

    /** Decodes the header after its magic, which {@link ReplyMagic} has read. */
    public static ChunkHeader decodeAfterMagic(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE - 4, "structured reply chunk");
        int flags = Short.toUnsignedInt(buffer.getShort());
        int type = Short.toUnsignedInt(buffer.getShort());
        return new ChunkHeader(flags, type, buffer.getLong(), Integer.toUnsignedLong(buffer.getInt()));
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putInt((int) length);
    }
}
