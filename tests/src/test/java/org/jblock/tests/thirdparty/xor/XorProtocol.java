package org.jblock.tests.thirdparty.xor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.OptionSpec;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * A third party's protocol, as small as one can be and still be real: {@code xor:PATH} is a local
 * file whose bytes are stored xor 0x5a. It depends on block-api alone and is found through
 * {@code META-INF/services}, as any plug-in is.
 */
public final class XorProtocol implements BlockProtocol {
    static final String PREFIX = "xor:";
    static final byte KEY = 0x5a;
    static final OptionSpec<String> PATH = OptionSpec.string("path", null, "the stored file");

    @Override
    public String name() {
        return "xor";
    }

    @Override
    public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        if (!filename.startsWith(PREFIX)) {
            throw new InvalidOptionException("File name string for xor must start with 'xor:'");
        }
        return Map.of(PATH.name(), filename.substring(PREFIX.length()));
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(PATH);
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        String path = request.options().get(PATH);
        if (path == null) {
            throw new InvalidOptionException("The 'xor' protocol needs a path");
        }
        Path file = Path.of(path).toAbsolutePath();
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new NoSuchFileException(path, null, "No such file or directory");
        }
        FileChannel channel = request.readOnly() ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new XorFile(file, channel, request.readOnly());
    }

    /** The stored file, decoded on read and encoded on write. */
    private static final class XorFile implements BlockFile {
        private final Path path;
        private final FileChannel channel;
        private final boolean readOnly;
        private volatile boolean closed;

        XorFile(Path path, FileChannel channel, boolean readOnly) {
            this.path = path;
            this.channel = channel;
            this.readOnly = readOnly;
        }

        private void check(long position) throws IOException {
            if (closed) {
                throw new ImageClosedException(name());
            }
            if (position < 0) {
                throw new InvalidRequestException(name() + ": negative offset " + position);
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            check(position);
            int start = dst.position();
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            for (int i = start; i < start + total; i++) {
                dst.put(i, (byte) (dst.get(i) ^ KEY));
            }
            return total == 0 && dst.hasRemaining() ? -1 : total;
        }

        /** Serialized: a write past the end fills the gap, which must not land on a concurrent write. */
        @Override
        public synchronized void write(ByteBuffer src, long position) throws IOException {
            check(position);
            if (readOnly) {
                throw new ReadOnlyImageException(name());
            }
            ByteBuffer encoded = ByteBuffer.allocate(src.remaining());
            while (src.hasRemaining()) {
                encoded.put((byte) (src.get() ^ KEY));
            }
            encoded.flip();
            long gap = channel.size();
            if (position > gap) {
                // Bytes between the old end and this write read as zeros: store them encoded.
                writeFully(ByteBuffer.wrap(filled((int) Math.min(position - gap, Integer.MAX_VALUE - 8))), gap);
            }
            writeFully(encoded, position);
        }

        private static byte[] filled(int length) {
            byte[] bytes = new byte[length];
            java.util.Arrays.fill(bytes, KEY);
            return bytes;
        }

        private void writeFully(ByteBuffer buffer, long position) throws IOException {
            long at = position;
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
        }

        @Override
        public long size() throws IOException {
            check(0);
            return channel.size();
        }

        @Override
        public synchronized void truncate(long size) throws IOException {
            check(size);
            if (readOnly) {
                throw new ReadOnlyImageException(name());
            }
            long old = channel.size();
            if (size < old) {
                channel.truncate(size);
            } else if (size > old) {
                writeFully(ByteBuffer.wrap(filled((int) (size - old))), old);
            }
        }

        @Override
        public void flush() throws IOException {
            check(0);
            channel.force(true);
        }

        @Override
        public boolean isReadOnly() {
            return readOnly;
        }

        @Override
        public String name() {
            return path.toString();
        }

        @Override
        public String location() {
            return PREFIX + path;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            channel.close();
        }
    }

    @Override
    public Set<String> prefixes() {
        return Set.of("xor");
    }
}
