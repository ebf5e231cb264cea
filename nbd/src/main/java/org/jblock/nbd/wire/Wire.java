package org.jblock.nbd.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reading and writing whole messages on a channel, and the protocol's strings. */
public final class Wire {
    private Wire() {
    }

    /**
     * Fills the remaining bytes of {@code buffer} from {@code channel}.
     *
     * @throws EOFException when the peer closes the connection first
     */
    public static void readFully(ReadableByteChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("the connection was closed");
            }
        }
    }

    /** Reads exactly {@code length} bytes into a new buffer, flipped for reading. */
    public static ByteBuffer read(ReadableByteChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        readFully(channel, buffer);
        return buffer.flip();
    }

    /** Reads and drops {@code length} bytes, in pieces, holding none of them. */
    public static void skip(ReadableByteChannel channel, long length) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate((int) Math.min(length, 64 << 10));
        long left = length;
        while (left > 0) {
            scratch.clear().limit((int) Math.min(left, scratch.capacity()));
            readFully(channel, scratch);
            left -= scratch.limit();
        }
    }

    /** Writes every remaining byte of {@code buffers}. */
    public static void writeFully(WritableByteChannel channel, ByteBuffer... buffers) throws IOException {
        for (ByteBuffer buffer : buffers) {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    /** @throws ProtocolException unless {@code buffer} has {@code count} more bytes */
    public static void need(ByteBuffer buffer, int count, String what) throws ProtocolException {
        if (buffer.remaining() < count) {
            throw new ProtocolException("truncated " + what + ": " + buffer.remaining() + " bytes where "
                    + count + " are needed");
        }
    }

    /** @return the UTF-8 encoding of {@code text}, checked against the protocol's string rules */
    public static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Nbd.MAX_STRING) {
            throw new IllegalArgumentException("'" + text.substring(0, 32) + "...' is longer than "
                    + Nbd.MAX_STRING + " bytes");
        }
        return bytes;
    }

    /** Decodes {@code length} bytes of {@code buffer} as a protocol string (UTF-8, no NUL, at most 4096 bytes). */
    public static String string(ByteBuffer buffer, long length, String what) throws ProtocolException {
        if (length < 0 || length > Nbd.MAX_STRING) {
            throw new ProtocolException(what + " of " + Integer.toUnsignedString((int) length)
                    + " bytes is longer than " + Nbd.MAX_STRING);
        }
        need(buffer, (int) length, what);
        ByteBuffer bytes = buffer.slice();
        bytes.limit((int) length);
        buffer.position(buffer.position() + (int) length);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(what + " is not UTF-8");
        }
        if (text.indexOf('\0') >= 0) {
            throw new ProtocolException(what + " contains a NUL character");
        }
        return text;
    }

    /** Decodes a string preceded by its 4-byte length. */
    public static String lengthPrefixed(ByteBuffer buffer, String what) throws ProtocolException {
        need(buffer, 4, what);
        return string(buffer, Integer.toUnsignedLong(buffer.getInt()), what);
    }

    /** Encodes {@code text} preceded by its 4-byte length. */
    public static void putLengthPrefixed(ByteBuffer buffer, String text) {
        byte[] bytes = utf8(text);
        buffer.putInt(bytes.length).put(bytes);
    }

    /** @return the bytes {@link #putLengthPrefixed} takes for {@code text} */
    public static int lengthPrefixedSize(String text) {
        return 4 + utf8(text).length;
    }
}
