package org.jblock.protocol.ssh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;

/**
 * A file on an SSH server, read and written at any offset through one SFTP session. Requests are
 * served one at a time (the session is one stream); the size is the server's at open, kept up to
 * date by this handle's writes and resizes.
 */
final class SftpBlockFile implements BlockFile {
    private final SshAddress address;
    private final SftpSession session;
    private final byte[] handle;
    private final boolean readOnly;
    private long size;
    private boolean closed;

    private SftpBlockFile(SshAddress address, SftpSession session, byte[] handle, boolean readOnly, long size) {
        this.address = address;
        this.session = session;
        this.handle = handle;
        this.readOnly = readOnly;
        this.size = size;
    }

    /**
     * Connects and opens the file, creating or emptying it when {@code create} says so.
     *
     * @throws java.nio.file.NoSuchFileException when the server has no such file
     */
    static SftpBlockFile open(SshAddress address, List<String> ssh, boolean readOnly, boolean create) throws IOException {
        SftpSession session = SftpSession.open(address, ssh);
        try {
            int flags = readOnly ? Sftp.READ_FLAG : Sftp.READ_FLAG | Sftp.WRITE_FLAG;
            if (create) {
                flags |= Sftp.CREATE_FLAG | Sftp.TRUNCATE_FLAG;
            }
            byte[] handle = session.open(address.path(), flags);
            return new SftpBlockFile(address, session, handle, readOnly, session.size(handle));
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    @Override
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        open();
        if (position < 0) {
            throw new InvalidRequestException(name() + ": negative offset " + position);
        }
        if (position >= size) {
            return -1;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        if (length == 0) {
            return 0;
        }
        ByteBuffer heap = dst.hasArray() ? dst.slice().limit(length) : ByteBuffer.allocate(length);
        int n = session.read(handle, position, heap);
        if (!dst.hasArray()) {
            dst.put(heap.flip());
        } else {
            dst.position(dst.position() + n);
        }
        return n == 0 ? -1 : n;
    }

    @Override
    public synchronized void write(ByteBuffer src, long position) throws IOException {
        writable();
        if (position < 0) {
            throw new InvalidRequestException(name() + ": negative offset " + position);
        }
        long end = position + src.remaining();
        session.write(handle, position, src);
        size = Math.max(size, end);
    }

    @Override
    public synchronized long size() throws IOException {
        open();
        return size;
    }

    @Override
    public synchronized void truncate(long newSize) throws IOException {
        writable();
        if (newSize < 0) {
            throw new InvalidRequestException(name() + ": negative size " + newSize);
        }
        session.setSize(handle, newSize);
        size = newSize;
    }

    /** Makes the writes durable where the server can ({@code fsync@openssh.com}), as QEMU's driver does. */
    @Override
    public synchronized void flush() throws IOException {
        open();
        if (session.canFsync()) {
            session.fsync(handle);
        }
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return address.uri();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close(handle);
        } finally {
            session.close();
        }
    }

    private void writable() throws IOException {
        open();
        if (readOnly) {
            throw new ReadOnlyImageException(name());
        }
    }

    private void open() throws IOException {
        if (closed) {
            throw new ImageClosedException(name());
        }
    }
}
