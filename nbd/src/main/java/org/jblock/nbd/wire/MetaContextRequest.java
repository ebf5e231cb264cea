package org.jblock.nbd.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data of {@code NBD_OPT_LIST_META_CONTEXT} and {@code NBD_OPT_SET_META_CONTEXT}:
 * {@code export name length (4) | export name | query count (4) | count × (length (4) | query)}.
 */
public record MetaContextRequest(String export, List<String> queries) {
    /** More queries than this are refused rather than collected. */
    public static final int MAX_QUERIES = 256;

    public MetaContextRequest {
        queries = List.copyOf(queries);
    }

    public static MetaContextRequest decode(ByteBuffer buffer) throws ProtocolException {
        String export = Wire.lengthPrefixed(buffer, "export name");
        Wire.need(buffer, 4, "query count");
        long count = Integer.toUnsignedLong(buffer.getInt());
        if (count > MAX_QUERIES) {
            throw new ProtocolException(count + " meta context queries are more than " + MAX_QUERIES);
        }
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            queries.add(Wire.lengthPrefixed(buffer, "meta context query"));
        }
        if (buffer.hasRemaining()) {
            throw new ProtocolException(buffer.remaining() + " bytes after the meta context queries");
        }
        return new MetaContextRequest(export, queries);
    }

    public int size() {
        int size = Wire.lengthPrefixedSize(export) + 4;
        for (String query : queries) {
            size += Wire.lengthPrefixedSize(query);
        }
        return size;
    }

    public void encode(ByteBuffer buffer) {
        Wire.putLengthPrefixed(buffer, export);
        buffer.putInt(queries.size());
        for (String query : queries) {
            Wire.putLengthPrefixed(buffer, query);
        }
    }
}
