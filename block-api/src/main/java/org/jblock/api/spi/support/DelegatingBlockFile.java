package org.jblock.api.spi.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;

import org.jblock.api.BlockFile;

/**
 * A {@link BlockFile} that forwards every call to another: the base for wrappers that count I/O,
 * inject faults or simulate a crash in tests.
 *
 * <p>{@link #writeZeroes} and {@link #discard} are forwarded too, so a wrapper that counts or fails
 * writes overrides them as well as {@link #write}.
 */
public class DelegatingBlockFile implements BlockFile {
    protected final BlockFile delegate;

    public DelegatingBlockFile(BlockFile delegate) {
        this.delegate = Objects.requireNonNull(delegate);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        delegate.write(src, position);
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        delegate.truncate(size);
    }

    @Override
    public long seekData(long position) throws IOException {
        return delegate.seekData(position);
    }

    @Override
    public long seekHole(long position) throws IOException {
        return delegate.seekHole(position);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        delegate.writeZeroes(offset, length, mayUnmap);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        delegate.discard(offset, length);
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public long allocatedSize() throws IOException {
        return delegate.allocatedSize();
    }

    @Override
    public void flush() throws IOException {
        delegate.flush();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public void lock(LockMode mode) throws IOException {
        delegate.lock(mode);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
