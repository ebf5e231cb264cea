package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * The header of a server's reply to an option:
 * {@code 0x3e889045565a9 (8) | option (4) | reply type (4) | data length (4)}, then the data.
 */
public record OptionReply(int option, int type, long length) {
    public static final int SIZE = 20;

    public boolean isError() {
        return (type & Nbd.REP_FLAG_ERROR) != 0;
    }

    public static OptionReply decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE, "option reply");
        long magic = buffer.getLong();
        if (magic != Nbd.OPTION_REPLY_MAGIC) {
            throw new ProtocolException("bad option reply magic 0x" + Long.toHexString(magic));
        }
        return new OptionReply(buffer.getInt(), buffer.getInt(), Integer.toUnsignedLong(buffer.getInt()));
    }

    public void encode(ByteBuffer buffer) {
        buffer.putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt((int) length);
    }
}
