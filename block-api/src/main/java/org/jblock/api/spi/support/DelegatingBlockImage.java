package org.jblock.api.spi.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.ProgressListener;

/**
 * A {@link BlockImage} that forwards every call to another: the base for decorators that guard,
 * count or break some calls and leave the rest alone. {@link #hostStorage()} is not forwarded (it
 * stays empty, which is always correct): a decorator whose reads are the delegate's forwards it.
 */
public class DelegatingBlockImage implements BlockImage {
    protected final BlockImage delegate;

    public DelegatingBlockImage(BlockImage delegate) {
        this.delegate = Objects.requireNonNull(delegate);
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
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
    public void read(long offset, ByteBuffer dst) throws IOException {
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        delegate.write(offset, src);
    }

    @Override
    public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
        delegate.writeCopyOnRead(offset, src, allZero);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        delegate.writeZeroes(offset, length, mayUnmap);
    }

    @Override
    public boolean zeroesCheaply(long offset, long length) throws IOException {
        return delegate.zeroesCheaply(offset, length);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        delegate.discard(offset, length);
    }

    @Override
    public void flush() throws IOException {
        delegate.flush();
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws IOException {
        return delegate.blockStatus(offset, length);
    }

    @Override
    public Optional<BlockImage> backing() {
        return delegate.backing();
    }

    @Override
    public void makeEmpty() throws IOException {
        delegate.makeEmpty();
    }

    @Override
    public void changeBacking(BackingImage backing) throws IOException {
        delegate.changeBacking(backing);
    }

    @Override
    public ImageInfo info() throws IOException {
        return delegate.info();
    }

    @Override
    public long allocatedSize() throws IOException {
        return delegate.allocatedSize();
    }

    @Override
    public CheckReport check(CheckMode mode, ProgressListener progress) throws IOException {
        return delegate.check(mode, progress);
    }

    @Override
    public void resize(long newSize) throws IOException {
        delegate.resize(newSize);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
