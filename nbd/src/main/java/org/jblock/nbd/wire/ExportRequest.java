package org.jblock.nbd.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data of {@code NBD_OPT_INFO} and {@code NBD_OPT_GO}:
 * {@code name length (4) | name | count (2) | count × info type (2)}.
 */
public record ExportRequest(String name, List<Integer> infos) {

    public ExportRequest {
        infos = List.copyOf(infos);
    }

    public static ExportRequest decode(ByteBuffer buffer) throws ProtocolException {
        String name = Wire.lengthPrefixed(buffer, "export name");
        Wire.need(buffer, 2, "information request count");
        int count = Short.toUnsignedInt(buffer.getShort());
        if (buffer.remaining() != count * 2) {
            throw new ProtocolException("information request list of " + buffer.remaining()
                    + " bytes does not hold " + count + " requests");
        }
        List<Integer> infos = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            infos.add(Short.toUnsignedInt(buffer.getShort()));
        }
        return new ExportRequest(name, infos);
    }

    public int size() {
        return Wire.lengthPrefixedSize(name) + 2 + 2 * infos.size();
    }

    public void encode(ByteBuffer buffer) {
        Wire.putLengthPrefixed(buffer, name);
        buffer.putShort((short) infos.size());
        for (int info : infos) {
            buffer.putShort((short) info);
        }
    }
}
