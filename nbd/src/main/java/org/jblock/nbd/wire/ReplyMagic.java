package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/** The first four bytes of every transmission reply, which say whether it is simple or structured. */
public final class ReplyMagic {
    private ReplyMagic() {
    }

    /**
     * @return whether the reply starting at {@code buffer}'s position is structured (its magic read)
     * @throws ProtocolException when the magic is neither
     */
    public static boolean structured(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, 4, "reply magic");
        int magic = buffer.getInt();
        if (magic == Nbd.STRUCTURED_REPLY_MAGIC) {
            return true;
        }
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            return false;
        }
        throw new ProtocolException("bad reply magic 0x" + Integer.toHexString(magic));
    }
}
