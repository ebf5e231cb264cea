package org.jblock.nbd.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The data of an {@code NBD_REP_META_CONTEXT} reply: {@code context id (4) | name (rest of the reply)}. */
public record MetaContext(int id, String name) {

    public static MetaContext decode(ByteBuffer buffer) throws ProtocolException {
        Wire.need(buffer, 4, "meta context reply");
        int id = buffer.getInt();
        return new MetaContext(id, Wire.string(buffer, buffer.remaining(), "meta context name"));
    }

    public int size() {
        return 4 + Wire.utf8(name).length;
    }

    public void encode(ByteBuffer buffer) {
        buffer.putInt(id).put(name.getBytes(StandardCharsets.UTF_8));
    }
}
