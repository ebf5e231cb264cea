package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * A transmission request:
 * {@code 0x25609513 (4) | command flags (2) | type (2) | cookie (8) | offset (8) | length (4)},
 * followed by {@code length} bytes of data for a write.
 *
 * @param length unsigned 32-bit
 */
public record Request(int flags, int type, long cookie, long offset, long length) {
    public static final int SIZE = 28;

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** @return whether the range reaches past {@code size} (offsets are unsigned: a negative one is huge) */
    public boolean endsAfter(long size) {
        return offset < 0 || offset > size - length;
    }

    public static Request decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE, "request");
        int magic = buffer.getInt();
        if (magic != Nbd.REQUEST_MAGIC) {
            throw new ProtocolException("bad request magic 0x" + Integer.toHexString(magic));
        }
        int flags = Short.toUnsignedInt(buffer.getShort());
        int type = Short.toUnsignedInt(buffer.getShort());
        return new Request(flags, type, buffer.getLong(), buffer.getLong(), Integer.toUnsignedLong(buffer.getInt()));
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length);
    }
}
