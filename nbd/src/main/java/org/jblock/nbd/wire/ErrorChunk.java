package org.jblock.nbd.wire;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * The payload of an {@code NBD_REPLY_TYPE_ERROR} chunk, {@code error (4) | message length (2) | message},
 * and of {@code NBD_REPLY_TYPE_ERROR_OFFSET}, which adds {@code offset (8)}.
 */
public record ErrorChunk(int error, String message, OptionalLong offset) {

    public int type() {
        return offset.isPresent() ? Nbd.REPLY_TYPE_ERROR_OFFSET : Nbd.REPLY_TYPE_ERROR;
    }

    /** Decodes the payload of a chunk of {@code type}, one with the error bit set. */
    public static ErrorChunk decode(int type, ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, 6, "error chunk");
        int error = buffer.getInt();
        if (error == 0) {
            throw new ProtocolException("error chunk with error value 0");
        }
        String message = Wire.string(buffer, Short.toUnsignedInt(buffer.getShort()), "error message");
        OptionalLong offset = OptionalLong.empty();
        if (type == Nbd.REPLY_TYPE_ERROR_OFFSET) {
            Wire.need(buffer, 8, "error chunk offset");
            offset = OptionalLong.of(buffer.getLong());
        }
        return new ErrorChunk(error, message, offset);
    }

    public int size() {
        return 6 + Wire.utf8(message).length + (offset.isPresent() ? 8 : 0);
    }

    public void encode(ByteBuffer buffer) {
        byte[] text = Wire.utf8(message);
        buffer.putInt(error).putShort((short) text.length).put(text);
        offset.ifPresent(buffer::putLong);
    }
}
