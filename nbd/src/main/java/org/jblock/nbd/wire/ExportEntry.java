package org.jblock.nbd.wire;

import java.nio.ByteBuffer;

/**
 * The data of an {@code NBD_REP_SERVER} reply to {@code NBD_OPT_LIST}:
 * {@code name length (4) | name | description (rest of the reply, may be empty)}.
 */
public record ExportEntry(String name, String description) {

    public static ExportEntry decode(ByteBuffer buffer) throws ProtocolException {
        String name = Wire.lengthPrefixed(buffer, "export name");
        return new ExportEntry(name, Wire.string(buffer, buffer.remaining(), "export description"));
    }

    public int size() {
        return Wire.lengthPrefixedSize(name) + Wire.utf8(description).length;
    }

    public void encode(ByteBuffer buffer) {
        Wire.putLengthPrefixed(buffer, name);
        buffer.put(Wire.utf8(description));
    }
}
