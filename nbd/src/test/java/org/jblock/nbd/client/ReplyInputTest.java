package org.jblock.nbd.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Reply bytes read through {@link ReplyInput} come out whole and in order however the socket delivers them. */
class ReplyInputTest {
    /** A stream of records: an 8-byte length, then that many payload bytes. */
    private static byte[] records(int count, Random random) {
        ByteBuffer all = ByteBuffer.allocate(count * 8 + count * 40_000);
        for (int i = 0; i < count; i++) {
            int length = random.nextInt(3) == 0 ? 0 : random.nextInt(i % 2 == 0 ? 100 : 40_000);
            byte[] payload = new byte[length];
            random.nextBytes(payload);
            all.putLong(length).put(payload);
        }
        byte[] bytes = new byte[all.position()];
        all.flip().get(bytes);
        return bytes;
    }

    /** Writes {@code bytes} into a pipe in pieces of at most {@code piece} bytes, from another thread. */
    private static Pipe.SourceChannel fed(byte[] bytes, int piece) throws IOException {
        Pipe pipe = Pipe.open();
        Thread writer = new Thread(() -> {
            try (Pipe.SinkChannel sink = pipe.sink()) {
                for (int at = 0; at < bytes.length; at += piece) {
                    ByteBuffer part = ByteBuffer.wrap(bytes, at, Math.min(piece, bytes.length - at));
                    while (part.hasRemaining()) {
                        sink.write(part);
                    }
                }
            } catch (IOException e) {
                // The reader stopped early; the test says why.
            }
        });
        writer.setDaemon(true);
        writer.start();
        return pipe.source();
    }

    private static void readBack(byte[] bytes, int piece, boolean directPayloads) throws IOException {
        try (Pipe.SourceChannel source = fed(bytes, piece)) {
            ReplyInput in = new ReplyInput(source);
            ByteBuffer expected = ByteBuffer.wrap(bytes);
            while (expected.hasRemaining()) {
                long length = in.need(8).getLong();
                assertEquals(expected.getLong(), length);
                ByteBuffer payload = directPayloads ? ByteBuffer.allocateDirect((int) length) : ByteBuffer.allocate((int) length);
                in.readFully(payload);
                byte[] want = new byte[(int) length];
                expected.get(want);
                byte[] got = new byte[(int) length];
                payload.flip().get(got);
                assertArrayEquals(want, got);
            }
        }
    }

    @Test
    void headersAndPayloadsSplitAnywhereComeOutWhole() throws IOException {
        byte[] bytes = records(200, new Random(1));
        readBack(bytes, 1 << 20, true);
        readBack(bytes, 4096, false);
        readBack(bytes, 7, true);
        readBack(records(40, new Random(2)), 1, false);
    }

    @Test
    void theEndOfTheStreamInsideARecordIsAnEofNotAShortRead() throws IOException {
        ByteBuffer record = ByteBuffer.allocate(8 + 100).putLong(1000);
        try (Pipe.SourceChannel source = fed(record.array(), 13)) {
            ReplyInput in = new ReplyInput(source);
            assertEquals(1000, in.need(8).getLong());
            assertThrows(EOFException.class, () -> in.readFully(ByteBuffer.allocate(1000)));
        }
        try (Pipe.SourceChannel source = fed(new byte[] {1, 2, 3}, 1)) {
            ReplyInput in = new ReplyInput(source);
            assertThrows(EOFException.class, () -> in.need(4));
        }
    }
}
