package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * An export's block size constraints, the body of {@code NBD_INFO_BLOCK_SIZE}:
 * {@code minimum (4) | preferred (4) | maximum payload (4)}.
 */
public record BlockSizes(int minimum, int preferred, int maximum) {
    public static final int SIZE = 12;
    /** What a client may assume when a server says nothing, and what jblock's server offers. */
    public static final BlockSizes DEFAULT = new BlockSizes(1, 4096, Nbd.MAX_PAYLOAD);

    public static BlockSizes decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, SIZE, "block size information");
        BlockSizes sizes = new BlockSizes(buffer.getInt(), buffer.getInt(), buffer.getInt());
        if (Integer.bitCount(sizes.minimum) != 1 || sizes.minimum > 65536 || Integer.bitCount(sizes.preferred) != 1
                || Integer.compareUnsigned(sizes.maximum, sizes.preferred) < 0) {
            throw new ProtocolException("invalid block sizes " + sizes.minimum + "/" + sizes.preferred + "/"
                    + Integer.toUnsignedString(sizes.maximum));
        }
        return sizes;
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(minimum).putInt(preferred).putInt(maximum);
    }
}
