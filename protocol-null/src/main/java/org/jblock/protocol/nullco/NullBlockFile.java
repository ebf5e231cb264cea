package org.jblock.protocol.nullco;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * Storage of a fixed size that keeps nothing: reads give zeros, writes succeed and are forgotten.
 * Block status is QEMU's: with {@code read-zeroes} one hole ("zero"); without, neither data nor
 * zeros ({@link Capability#NO_DATA}).
 */
final class NullBlockFile implements BlockFile {
    private final String name;
    private final long size;
    private final boolean readZeroes;
    private final long latencyNanos;
    private final boolean readOnly;
    private volatile boolean closed;

    NullBlockFile(String name, long size, boolean readZeroes, long latencyNanos, boolean readOnly) {
        this.name = name;
        this.size = size;
        this.readZeroes = readZeroes;
        this.latencyNanos = latencyNanos;
        this.readOnly = readOnly;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        request(position, 0);
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - position);
        for (int i = 0; i < n; i++) {
            dst.put((byte) 0);
        }
        return n;
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        writable(position, src.remaining());
        src.position(src.limit());
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        writable(offset, length);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writable(offset, length);
    }

    @Override
    public long size() throws IOException {
        open();
        return size;
    }

    @Override
    public void truncate(long newSize) throws IOException {
        writable(0, 0);
        if (newSize != size) {
            throw new UnsupportedFeatureException(name + ": Image does not support resizing");
        }
    }

    @Override
    public long seekData(long position) throws IOException {
        request(Math.max(position, 0), 0);
        return readZeroes ? size : Math.min(Math.max(position, 0), size);
    }

    @Override
    public long seekHole(long position) throws IOException {
        request(Math.max(position, 0), 0);
        return readZeroes ? Math.min(Math.max(position, 0), size) : size;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> capabilities = EnumSet.of(Capability.WRITE_ZEROES);
        capabilities.add(readZeroes ? Capability.HOLES : Capability.NO_DATA);
        if (!readOnly) {
            capabilities.add(Capability.WRITE);
        }
        return capabilities;
    }

    @Override
    public void flush() throws IOException {
        request(0, 0);
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void writable(long offset, long length) throws IOException {
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        request(offset, length);
        if (offset + length > size) {
            throw new InvalidRequestException(name + ": cannot write " + length + " bytes at offset " + offset
                    + ": the storage has a fixed size of " + size + " bytes");
        }
    }

    /** Checks the request and waits the latency asked for, as QEMU's driver does before it completes one. */
    private void request(long offset, long length) throws IOException {
        open();
        if (offset < 0 || length < 0) {
            throw new InvalidRequestException(name + ": negative offset or length (" + offset + ", " + length + ")");
        }
        if (latencyNanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(latencyNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(name + ": interrupted");
            }
        }
    }

    private void open() throws IOException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }
}
