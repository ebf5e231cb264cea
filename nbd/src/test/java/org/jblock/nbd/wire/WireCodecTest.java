package org.jblock.nbd.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * Each structure of the wire codec: what it encodes decodes to the same value, its bytes are the
 * layout the specification gives, and every truncation of them is a {@link ProtocolException},
 * never an unchecked exception.
 */
class WireCodecTest {

    @Test
    void requestLayoutAndRoundTrip() throws ProtocolException {
        Request request = new Request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 0x1122334455667788L, 1L << 40, 0xfffffff0L);
        ByteBuffer bytes = encode(Request.SIZE, request::encode);
        assertEquals("25609513" + "0001" + "0001" + "1122334455667788" + "0000010000000000" + "fffffff0", hex(bytes));
        assertEquals(request, Request.decode(bytes.duplicate()));
        assertTruncationsRefused(bytes, Request::decode);
        assertThrows(ProtocolException.class, () -> Request.decode(ByteBuffer.allocate(Request.SIZE)), "bad magic");
    }

    @Test
    void requestRangesAreCheckedUnsigned() {
        assertEquals(false, new Request(0, 0, 1, 512, 512).endsAfter(1024));
        assertEquals(true, new Request(0, 0, 1, 513, 512).endsAfter(1024));
        assertEquals(true, new Request(0, 0, 1, -512, 512).endsAfter(1024), "an offset past 2^63");
        assertEquals(true, new Request(0, 0, 1, Long.MAX_VALUE - 10, 512).endsAfter(1024), "an end past 2^63");
    }

    @Test
    void optionRequestAndReply() throws ProtocolException {
        OptionRequest option = new OptionRequest(Nbd.OPT_GO, 12);
        ByteBuffer bytes = encode(OptionRequest.SIZE, option::encode);
        assertEquals("49484156454f5054" + "00000007" + "0000000c", hex(bytes));
        assertEquals(option, OptionRequest.decode(bytes.duplicate()));
        assertTruncationsRefused(bytes, OptionRequest::decode);

        OptionReply reply = new OptionReply(Nbd.OPT_GO, Nbd.REP_ERR_UNKNOWN, 3);
        bytes = encode(OptionReply.SIZE, reply::encode);
        assertEquals("0003e889045565a9" + "00000007" + "80000006" + "00000003", hex(bytes));
        assertEquals(reply, OptionReply.decode(bytes.duplicate()));
        assertTrue(reply.isError());
        assertTruncationsRefused(bytes, OptionReply::decode);
    }

    @Test
    void repliesAfterTheirMagic() throws ProtocolException {
        SimpleReply simple = new SimpleReply(Nbd.EINVAL, 42);
        ByteBuffer bytes = encode(SimpleReply.SIZE, simple::encode);
        assertEquals("67446698" + "00000016" + "000000000000002a", hex(bytes));
        ByteBuffer read = bytes.duplicate();
        assertEquals(false, ReplyMagic.structured(read));
        assertEquals(simple, SimpleReply.decodeAfterMagic(read));

        ChunkHeader chunk = new ChunkHeader(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_OFFSET_HOLE, 7, 12);
        bytes = encode(ChunkHeader.SIZE, chunk::encode);
        assertEquals("668e33ef" + "0001" + "0002" + "0000000000000007" + "0000000c", hex(bytes));
        read = bytes.duplicate();
        assertEquals(true, ReplyMagic.structured(read));
        assertEquals(chunk, ChunkHeader.decodeAfterMagic(read));
        assertThrows(ProtocolException.class, () -> ReplyMagic.structured(ByteBuffer.allocate(4)));
    }

    @Test
    void exportAndMetaContextRequests() throws ProtocolException {
        ExportRequest go = new ExportRequest("exp1", List.of(Nbd.INFO_NAME, Nbd.INFO_BLOCK_SIZE));
        ByteBuffer bytes = encode(go.size(), go::encode);
        assertEquals("00000004" + "65787031" + "0002" + "0001" + "0003", hex(bytes));
        assertEquals(go, ExportRequest.decode(bytes.duplicate()));
        assertTruncationsRefused(bytes, ExportRequest::decode);

        MetaContextRequest set = new MetaContextRequest("exp1", List.of(Nbd.BASE_ALLOCATION));
        bytes = encode(set.size(), set::encode);
        assertEquals(set, MetaContextRequest.decode(bytes.duplicate()));
        assertTruncationsRefused(bytes, MetaContextRequest::decode);
        ByteBuffer tooMany = ByteBuffer.allocate(8).putInt(0).putInt(MetaContextRequest.MAX_QUERIES + 1).flip();
        assertThrows(ProtocolException.class, () -> MetaContextRequest.decode(tooMany));
    }

    @Test
    void replyPayloads() throws ProtocolException {
        MetaContext context = new MetaContext(1, Nbd.BASE_ALLOCATION);
        assertEquals(context, MetaContext.decode(encode(context.size(), context::encode)));

        ExportEntry entry = new ExportEntry("exp1", "a disk");
        assertEquals(entry, ExportEntry.decode(encode(entry.size(), entry::encode)));

        ExportInfo info = new ExportInfo(67125248, 0xded);
        ByteBuffer bytes = encode(ExportInfo.SIZE, info::encode);
        assertEquals("0000000004004000" + "0ded", hex(bytes));
        assertEquals(info, ExportInfo.decode(bytes.duplicate()));
        assertTruncationsRefused(bytes, ExportInfo::decode);

        BlockSizes sizes = BlockSizes.DEFAULT;
        bytes = encode(BlockSizes.SIZE, sizes::encode);
        assertEquals("00000001" + "00001000" + "02000000", hex(bytes));
        assertEquals(sizes, BlockSizes.decode(bytes.duplicate()));
        assertThrows(ProtocolException.class, () -> BlockSizes.decode(ByteBuffer.allocate(12).putInt(3).putInt(4096)
                .putInt(4096).flip()), "a minimum that is no power of two");

        ErrorChunk error = new ErrorChunk(Nbd.EINVAL, "past the end", OptionalLong.of(512));
        bytes = encode(error.size(), error::encode);
        assertEquals(error, ErrorChunk.decode(error.type(), bytes.duplicate()));
        assertTruncationsRefused(bytes, buffer -> ErrorChunk.decode(Nbd.REPLY_TYPE_ERROR_OFFSET, buffer));

        BlockStatusChunk status = new BlockStatusChunk(1, List.of(new BlockStatusChunk.Descriptor(4 << 20, 0),
                new BlockStatusChunk.Descriptor(0xffffffffL, Nbd.STATE_HOLE | Nbd.STATE_ZERO)));
        bytes = encode(status.size(), status::encode);
        assertEquals("00000001" + "00400000" + "00000000" + "ffffffff" + "00000003", hex(bytes));
        assertEquals(status, BlockStatusChunk.decode(bytes.duplicate()));
        assertThrows(ProtocolException.class, () -> BlockStatusChunk.decode(ByteBuffer.allocate(12).putInt(1)
                .putInt(0).putInt(0).flip()), "an extent of length 0");
    }

    @Test
    void stringsAreCheckedUtf8WithoutNulAndBounded() {
        ByteBuffer notUtf8 = ByteBuffer.wrap(new byte[] {0, 0, 0, 2, (byte) 0xc3, 0x28});
        assertThrows(ProtocolException.class, () -> Wire.lengthPrefixed(notUtf8, "name"));
        ByteBuffer nul = ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 0});
        assertThrows(ProtocolException.class, () -> Wire.lengthPrefixed(nul, "name"));
        ByteBuffer huge = ByteBuffer.allocate(8).putInt(Nbd.MAX_STRING + 1).flip();
        assertThrows(ProtocolException.class, () -> Wire.lengthPrefixed(huge, "name"));
        ByteBuffer negative = ByteBuffer.allocate(8).putInt(-1).flip();
        assertThrows(ProtocolException.class, () -> Wire.lengthPrefixed(negative, "name"));
    }

    private interface Decoder {
        Object decode(ByteBuffer buffer) throws ProtocolException;
    }

    private static void assertTruncationsRefused(ByteBuffer whole, Decoder decoder) {
        for (int length = 0; length < whole.remaining(); length++) {
            ByteBuffer cut = whole.duplicate();
            cut.limit(cut.position() + length);
            int at = length;
            assertThrows(ProtocolException.class, () -> decoder.decode(cut), "cut at " + at + " bytes");
        }
    }

    private static ByteBuffer encode(int size, Consumer<ByteBuffer> encoder) {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        encoder.accept(buffer);
        assertEquals(size, buffer.position(), "bytes written");
        return buffer.flip();
    }

    private static String hex(ByteBuffer buffer) {
        StringBuilder text = new StringBuilder();
        ByteBuffer copy = buffer.duplicate();
        while (copy.hasRemaining()) {
            text.append(String.format("%02x", copy.get()));
        }
        return text.toString();
    }
}
