package org.jblock.api.spi.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageClosedException;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ProgressListener;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The base of a driver's {@link BlockImage}: it enforces the contract's rules once (ranges, read-only
 * state, use after close, idempotent close, merged block status) so that a driver implements only
 * the {@code do*} methods, each called with a valid, non-empty range on an open image.
 *
 * <p>Optional abilities have defaults: write-zeroes writes zero buffers, discard does nothing,
 * block status reports everything as data, check and resize are unsupported.
 *
 * <p><b>Concurrency.</b> I/O calls ({@code doRead}, {@code doWrite}, {@code doWriteZeroes},
 * {@code doDiscard}, {@code doFlush}, {@code doBlockStatus}, {@code doInfo}) may run on many threads
 * at once; making them safe with each other is the driver's work. Calls that reshape the image
 * ({@code doResize}, {@code doCheck}, {@code doClose}) run alone: they wait for the I/O in flight to
 * finish and hold new I/O off until they return (QEMU drains requests the same way before a
 * truncate), so a driver may move data and metadata there freely. The range of every request is
 * checked against the size in force while it runs.
 */
public abstract class AbstractBlockImage implements BlockImage {
    private static final int ZERO_CHUNK = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();

    private final BlockFile file;
    private final boolean readOnly;
    private final String format;
    /** Shared by I/O, exclusive for resize, check and close. */
    private final ReentrantReadWriteLock drain = new ReentrantReadWriteLock();
    private volatile boolean closed;

    /**
     * @param format   the driver's name, for {@link #info()}
     * @param file     the storage, owned (and closed) by this image from now on
     * @param readOnly whether writes are refused
     */
    protected AbstractBlockImage(String format, BlockFile file, boolean readOnly) {
        this.format = format;
        this.file = file;
        this.readOnly = readOnly;
    }

    /** @return the storage under the image */
    protected final BlockFile file() {
        return file;
    }

    /**
     * Block status of a disk whose byte {@code n} is byte {@code n} of the storage (a raw image, a
     * fixed VHD): data wherever {@link BlockFile#seekData}/{@link BlockFile#seekHole} say the
     * storage may hold data, zero only where it reports a hole it knows for sure, so data is never
     * reported as zeros. A storage that tells no holes gives one data extent; one that keeps no
     * data ({@link BlockFile.Capability#NO_DATA}) gives runs of neither data nor zeros instead.
     */
    protected final List<Extent> extentsOfStorage(long offset, long length) throws IOException {
        return extentsOfStorage(offset, length, 0);
    }

    /**
     * Block status of a disk whose byte {@code n} is byte {@code storageStart + n} of the storage (a
     * raw image with an offset), as {@link #extentsOfStorage(long, long)} tells it; host offsets
     * are the storage's.
     */
    protected final List<Extent> extentsOfStorage(long offset, long length, long storageStart) throws IOException {
        boolean keepsNoData = file.capabilities().contains(BlockFile.Capability.NO_DATA);
        List<Extent> extents = new ArrayList<>(1);
        long end = storageStart + offset + length;
        long at = storageStart + offset;
        while (at < end) {
            long data = Math.min(Math.max(file.seekData(at), at), end);
            if (data > at) {
                extents.add(new Extent(at - storageStart, data - at, false, true, true, OptionalLong.of(at)));
            }
            if (data == end) {
                break;
            }
            long hole = Math.min(file.seekHole(data), end);
            // A storage whose hole report does not move on is taken at its word for nothing: data.
            long dataEnd = hole > data ? hole : end;
            extents.add(keepsNoData
                    ? new Extent(data - storageStart, dataEnd - data, false, false, false, OptionalLong.empty())
                    : Extent.data(data - storageStart, dataEnd - data, data));
            at = dataEnd;
        }
        return extents;
    }

    /** @return the driver's name */
    protected final String format() {
        return format;
    }

    @Override
    public String name() {
        return file.name();
    }

    @Override
    public final boolean isReadOnly() {
        return readOnly;
    }

    /** @throws ImageClosedException after {@link #close()}, like every other call */
    @Override
    public final long size() throws IOException {
        ensureOpen();
        return doSize();
    }

    /** @return the virtual size in force; called only on an open image */
    protected abstract long doSize() throws IOException;

    @Override
    public final void read(long offset, ByteBuffer dst) throws IOException {
        Lock io = io();
        try {
            checkRange(offset, dst.remaining());
            if (dst.hasRemaining()) {
                doRead(offset, dst);
            }
        } finally {
            io.unlock();
        }
    }

    @Override
    public final void write(long offset, ByteBuffer src) throws IOException {
        change(offset, src.remaining(), () -> doWrite(offset, src));
    }

    @Override
    public final void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        change(offset, length, () -> doWriteZeroes(offset, length, mayUnmap));
    }

    @Override
    public final void discard(long offset, long length) throws IOException {
        change(offset, length, () -> doDiscard(offset, length));
    }

    @Override
    public final boolean zeroesCheaply(long offset, long length) throws IOException {
        Lock io = io();
        try {
            checkWritable();
            checkRange(offset, length);
            return length == 0 || doZeroesCheaply(offset, length);
        } finally {
            io.unlock();
        }
    }

    /** A driver's change of a range that has passed the checks. */
    private interface RangeChange {
        void run() throws IOException;
    }

    /**
     * Runs {@code change} beside other I/O once the image is writable and the range valid; an empty
     * range changes nothing.
     */
    private void change(long offset, long length, RangeChange change) throws IOException {
        Lock io = io();
        try {
            checkWritable();
            checkRange(offset, length);
            if (length > 0) {
                change.run();
            }
        } finally {
            io.unlock();
        }
    }

    @Override
    public final void flush() throws IOException {
        Lock io = io();
        try {
            ensureOpen();
            if (!readOnly) {
                doFlush();
            }
        } finally {
            io.unlock();
        }
    }

    @Override
    public final List<Extent> blockStatus(long offset, long length) throws IOException {
        Lock io = io();
        try {
            checkRange(offset, length);
            if (length == 0) {
                return List.of();
            }
            return merged(doBlockStatus(offset, length));
        } finally {
            io.unlock();
        }
    }

    @Override
    public final ImageInfo info() throws IOException {
        Lock io = io();
        try {
            ensureOpen();
            return doInfo();
        } finally {
            io.unlock();
        }
    }

    /** The allocated size of the file under the image (as QEMU counts a format node's: its file's). */
    @Override
    public final long allocatedSize() throws IOException {
        Lock io = io();
        try {
            ensureOpen();
            return file.allocatedSize();
        } finally {
            io.unlock();
        }
    }

    @Override
    public final CheckReport check(CheckMode mode, ProgressListener progress) throws IOException {
        Lock alone = alone();
        try {
            ensureOpen();
            if (mode.repairs()) {
                checkWritable();
            }
            return doCheck(mode, progress);
        } finally {
            alone.unlock();
        }
    }

    @Override
    public final void resize(long newSize) throws IOException {
        Lock alone = alone();
        try {
            checkWritable();
            if (newSize < 0) {
                throw new InvalidRequestException(name() + ": invalid size " + newSize);
            }
            doResize(newSize);
        } finally {
            alone.unlock();
        }
    }

    @Override
    public final void makeEmpty() throws IOException {
        Lock alone = alone();
        try {
            checkWritable();
            doMakeEmpty();
        } finally {
            alone.unlock();
        }
    }

    @Override
    public final void changeBacking(BackingImage backing) throws IOException {
        Lock alone = alone();
        try {
            checkWritable();
            doChangeBacking(backing);
        } finally {
            alone.unlock();
        }
    }

    @Override
    public final void close() throws IOException {
        Lock alone = alone();
        try {
            if (closed) {
                return;
            }
            try {
                if (!readOnly) {
                    doFlush();
                }
                doClose();
            } finally {
                closed = true;
                file.close();
            }
        } finally {
            alone.unlock();
        }
    }

    /** Enters a call that runs beside other I/O; the caller unlocks what it returns. */
    private Lock io() {
        Lock lock = drain.readLock();
        lock.lock();
        return lock;
    }

    /** Enters a call that runs alone, once the I/O in flight has finished. */
    private Lock alone() {
        Lock lock = drain.writeLock();
        lock.lock();
        return lock;
    }

    /** Reads {@code dst.remaining() > 0} bytes at a valid {@code offset}. */
    protected abstract void doRead(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src.remaining() > 0} bytes at a valid {@code offset} of a writable image. */
    protected abstract void doWrite(long offset, ByteBuffer src) throws IOException;

    /** Zeroes a valid range; by default writes zero buffers through {@link #doWrite}. */
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        long done = 0;
        while (done < length) {
            int n = (int) Math.min(ZERO_CHUNK, length - done);
            doWrite(offset + done, ZEROS.duplicate().limit(n));
            done += n;
        }
    }

    /**
     * Whether {@link #doWriteZeroes} over a valid, non-empty range of a writable image writes no zero
     * bytes; by default {@code false}, as the default {@code doWriteZeroes} writes zero buffers.
     */
    protected boolean doZeroesCheaply(long offset, long length) throws IOException {
        return false;
    }

    /** Discards a valid range; by default does nothing (discard is advisory). */
    protected void doDiscard(long offset, long length) throws IOException {
    }

    /** Flushes a writable image; by default flushes the storage. */
    protected void doFlush() throws IOException {
        file.flush();
    }

    /**
     * Describes a valid, non-empty range; the list must cover it in order and may be unmerged. By
     * default: all data, no known mapping. That default is enough for every tool: {@code convert}
     * copies the data, {@code map} lists it without a host offset. Override it to report holes
     * and zeros (so that copies stay sparse) and where data lies in the file.
     */
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        return List.of(new Extent(offset, length, true, false, true, OptionalLong.empty()));
    }

    /** By default: the format name, the size, no cluster size, no format-specific fields. */
    protected ImageInfo doInfo() throws IOException {
        return new ImageInfo(format, doSize(), 0, Map.of());
    }

    /** By default unsupported. {@code mode} repairs only on a writable image. */
    protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
        throw new UnsupportedFeatureException("This image format does not support checks");
    }

    /** By default unsupported. */
    protected void doResize(long newSize) throws IOException {
        throw new UnsupportedFeatureException("Image format driver does not support resize");
    }

    /** By default unsupported (see {@link BlockImage#makeEmpty()}). */
    protected void doMakeEmpty() throws IOException {
        throw new UnsupportedFeatureException(name() + ": the image has no backing file to fall back to");
    }

    /** By default unsupported (see {@link BlockImage#changeBacking}). */
    protected void doChangeBacking(BackingImage backing) throws IOException {
        throw new UnsupportedFeatureException(name() + ": Operation not supported");
    }

    /** Releases the driver's own resources; the storage is closed afterwards by the caller. */
    protected void doClose() throws IOException {
    }

    /** @throws ImageClosedException when the image is closed */
    protected final void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name());
        }
    }

    private void checkWritable() throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name());
        }
    }

    private void checkRange(long offset, long length) throws IOException {
        ensureOpen();
        long size = doSize();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new InvalidRequestException(name() + ": request at offset " + offset + " for " + length
                    + " bytes is beyond the end of the image (" + size + " bytes)");
        }
    }

    private static List<Extent> merged(List<Extent> extents) {
        List<Extent> out = new ArrayList<>(extents.size());
        for (Extent e : extents) {
            Extent.append(out, e);
        }
        return out;
    }
}
