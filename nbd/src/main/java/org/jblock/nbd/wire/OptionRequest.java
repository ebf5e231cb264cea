package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * The header of an option the client sends during the handshake:
 * {@code IHAVEOPT (8) | option (4) | data length (4)}, followed by the data.
 */
public record OptionRequest(int option, long length) {
    public static final int SIZE = 16;

    public static OptionRequest decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE, "option header");
        long magic = buffer.getLong();
        if (magic != Nbd.IHAVEOPT) {
            throw new ProtocolException("bad option magic 0x" + Long.toHexString(magic));
        }
        return new OptionRequest(buffer.getInt(), Integer.toUnsignedLong(buffer.getInt()));
    }

    public void encode(ByteBuffer buffer) {
        buffer.putLong(Nbd.IHAVEOPT).putInt(option).putInt((int) length);
    }
}
