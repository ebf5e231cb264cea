package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * An export's size and transmission flags: {@code size (8) | flags (2)}, the body of
 * {@code NBD_INFO_EXPORT} and of the reply to {@code NBD_OPT_EXPORT_NAME} (which adds 124 zero bytes
 * unless the client agreed to none).
 */
public record ExportInfo(long size, int flags) {
    public static final int SIZE = 10;
    /** The padding after the reply to {@code NBD_OPT_EXPORT_NAME} without {@code NO_ZEROES}. */
    public static final int EXPORT_NAME_PADDING = 124;

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public static ExportInfo decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE, "export information");
        long size = buffer.getLong();
        if (size < 0) {
            throw new ProtocolException("export size " + Long.toUnsignedString(size) + " is too large");
        }
        return new ExportInfo(size, Short.toUnsignedInt(buffer.getShort()));
    }

    public void encode(ByteBuffer buffer) {
        buffer.putLong(size).putShort((short) flags);
    }
}
