package org.jblock.api.spi;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;

/**
 * What a driver sees when it probes a file: the first bytes, the last 512 bytes, the size and the
 * name. Buffers are read-only and positioned at 0; use absolute gets.
 *
 * @param head     the first {@value #HEAD_BYTES} bytes, or the whole file when it is shorter
 * @param tail     the last 512 bytes, or the whole file when it is shorter
 * @param fileSize the file's length in bytes
 * @param fileName the file's name (for an extension check), possibly empty
 */
public record ProbeInput(ByteBuffer head, ByteBuffer tail, long fileSize, String fileName) {
    /** How many leading bytes a probe sees (at least 1 KiB, as the contract promises). */
    public static final int HEAD_BYTES = 4096;
    /** How many trailing bytes a probe sees. */
    public static final int TAIL_BYTES = 512;

    public ProbeInput {
        head = head.asReadOnlyBuffer();
        tail = tail.asReadOnlyBuffer();
    }

    /** Reads the probe input of {@code file}. */
    public static ProbeInput read(BlockFile file) throws IOException {
        long size = file.size();
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, HEAD_BYTES));
        file.readFully(head, 0);
        ByteBuffer tail = ByteBuffer.allocate((int) Math.min(size, TAIL_BYTES));
        file.readFully(tail, size - tail.capacity());
        return new ProbeInput(head.flip(), tail.flip(), size, file.name());
    }

    /** A probe input made of one buffer, the whole file (for tests and in-memory content). */
    public static ProbeInput of(byte[] content, String fileName) {
        ByteBuffer all = ByteBuffer.wrap(content);
        int headLength = Math.min(content.length, HEAD_BYTES);
        int tailLength = Math.min(content.length, TAIL_BYTES);
        return new ProbeInput(all.slice(0, headLength), all.slice(content.length - tailLength, tailLength),
                content.length, fileName);
    }
}
