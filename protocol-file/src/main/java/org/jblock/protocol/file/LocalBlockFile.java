package org.jblock.protocol.file;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.spi.BlockProtocol;

/**
 * A {@link BlockFile} on a local file, through one {@link FileChannel} used only with positional
 * I/O, so concurrent reads and writes need no lock of ours.
 *
 * <p>{@link #lock(LockMode)} takes QEMU's byte locks (seen by other processes) and a lock in this
 * process's own table (POSIX locks cannot tell two opens of one process apart).
 *
 * <p>Holes ({@link #seekData}/{@link #seekHole}) and hole punching ({@link #writeZeroes} with
 * {@code mayUnmap}, {@link #discard}) come from {@link Holes}: on JDK 22+ on Linux they are
 * {@code lseek(SEEK_DATA/SEEK_HOLE)} and {@code fallocate(PUNCH_HOLE)}; on JDK 17, and on file
 * systems that support neither, every byte is data and zeros are written. (The cheap JDK 17
 * substitute, the file's allocated block count, is not to be trusted: a file whose data sits in
 * its inode, or whose blocks a file system has not yet counted, shows none.)
 *
 * <p>Opened {@code direct} ({@code cache.direct=on}), its bytes are read and written through a
 * second descriptor opened with {@code O_DIRECT}, bypassing the page cache, aligned as the kernel
 * needs by {@link DirectIo}; the size, locks, holes and flushes keep to the first.
 */
public final class LocalBlockFile implements BlockFile {
    private final Path path;
    private final Object fileKey;
    private final String name;
    private final RandomAccessFile file;
    private final FileChannel channel;
    private final boolean readOnly;
    private final Holes holes;
    /** A regular file, whose bytes the kernel sends to a socket itself; a device reads through a buffer. */
    private final boolean regular;
    /** The {@code O_DIRECT} data path; null when the file goes through the page cache. */
    private final DirectIo direct;
    private FileLocks.Held lock;
    private volatile boolean closed;
    /** Changes made through this handle (see {@link #changed}). */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    /** The last data run {@code SEEK_HOLE} found (see {@link #seek}); null when none. */
    private volatile DataRun lastData;
    /**
     * Whether a write or truncate finished since the last flush began: a flush with nothing to make
     * durable touches nothing (as QEMU's does not), so a device whose fsync fails, such as
     * {@code /dev/null}, opens and closes cleanly.
     */
    private final java.util.concurrent.atomic.AtomicBoolean unflushed = new java.util.concurrent.atomic.AtomicBoolean();

    private LocalBlockFile(Path path, RandomAccessFile file, boolean readOnly, boolean direct) throws IOException {
        this.path = path;
        this.fileKey = FileLocks.identity(path);
        this.name = path.toString();
        this.file = file;
        this.channel = file.getChannel();
        this.readOnly = readOnly;
        this.regular = Files.isRegularFile(path);
        this.holes = Holes.open(path, !readOnly);
        try {
            this.direct = direct ? DirectIo.open(path, readOnly, name) : null;
        } catch (IOException | RuntimeException e) {
            closeAfter(holes, e);
            throw e;
        }
    }

    /**
     * Opens an existing file.
     *
     * @throws NoSuchFileException when it does not exist
     * @throws AccessDeniedException when it cannot be opened as asked
     * @throws BlockException when it is a directory, a FIFO, a character device or anything else
     *         that is neither a regular file nor a block device, in QEMU's words
     *         ({@code 'file' driver requires 'x' to be a regular file}; a directory opened for writing:
     *         {@code Is a directory})
     */
    public static LocalBlockFile open(Path path, boolean readOnly) throws IOException {
        return open(path, readOnly, false);
    }

    /**
     * Opens an existing file, as {@link #open(Path, boolean)}; {@code direct}: its bytes bypass the
     * page cache ({@code O_DIRECT}).
     *
     * @throws org.jblock.api.UnsupportedFeatureException when {@code direct} and the file system
     *         takes no {@code O_DIRECT} ({@code Could not open 'x': filesystem does not support O_DIRECT})
     */
    public static LocalBlockFile open(Path path, boolean readOnly, boolean direct) throws IOException {
        checkKind(path, readOnly, BlockProtocol.FILE, false);
        return openChecked(path, readOnly, direct);
    }

    /**
     * Opens a character or block device, as QEMU's {@code host_device} and {@code host_cdrom} drivers do.
     *
     * @param driver the protocol's name, for messages
     * @throws BlockException when it is neither ({@code 'host_device' driver requires 'x' to be either a
     *         character or block device})
     */
    public static LocalBlockFile openDevice(Path path, boolean readOnly, String driver, boolean direct)
            throws IOException {
        checkKind(path, readOnly, driver, true);
        return openChecked(path, readOnly, direct);
    }

    private static LocalBlockFile openChecked(Path path, boolean readOnly, boolean direct) throws IOException {
        RandomAccessFile file;
        try {
            file = new RandomAccessFile(path.toFile(), readOnly ? "r" : "rw");
        } catch (FileNotFoundException e) {
            throw new AccessDeniedException(path.toString(), null,
                    readOnly ? "Permission denied" : "Permission denied (open for writing)");
        }
        return wrap(path, file, readOnly, direct);
    }

    /**
     * Refuses, before anything opens it, what cannot hold an image, with QEMU's messages: opening a
     * FIFO would wait for a writer forever, and a character device has no size. Block devices serve
     * as files too (QEMU wants {@code host_device} for them). A directory opened for writing fails as
     * opening it would ({@code Is a directory}).
     */
    private static void checkKind(Path path, boolean readOnly, String driver, boolean devicesOnly) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "No such file or directory");
        }
        if (Files.isDirectory(path) && !readOnly) {
            throw new FileSystemException(path.toString(), null, "Is a directory");
        }
        String kind = Files.isRegularFile(path) ? "a regular file" : Files.isDirectory(path) ? "a directory" : FileKind.of(path);
        boolean device = FileKind.BLOCK_DEVICE.equals(kind) || FileKind.CHARACTER_DEVICE.equals(kind);
        if (devicesOnly && !device) {
            throw new BlockException("'" + driver + "' driver requires '" + path + "' to be either a character or block device");
        }
        if (!devicesOnly && !kind.equals("a regular file") && !FileKind.BLOCK_DEVICE.equals(kind)) {
            throw new BlockException("'" + driver + "' driver requires '" + path + "' to be a regular file");
        }
    }

    private static LocalBlockFile wrap(Path path, RandomAccessFile file, boolean readOnly, boolean direct)
            throws IOException {
        try {
            return new LocalBlockFile(path, file, readOnly, direct);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Creates the file, or empties it when it exists, and opens it for writing.
     *
     * <p>It empties before any lock is taken: to replace an image that may be in use, open it,
     * {@linkplain #lock lock} it and then truncate it, as the registry's {@code create} does.
     */
    public static LocalBlockFile create(Path path) throws IOException {
        if (Files.exists(path)) {
            checkKind(path, false, BlockProtocol.FILE, false);
        }
        RandomAccessFile file;
        try {
            file = new RandomAccessFile(path.toFile(), "rw");
        } catch (FileNotFoundException e) {
            throw new AccessDeniedException(path.toString(), null, "Could not create file: " + e.getMessage());
        }
        LocalBlockFile created = wrap(path, file, false, false);
        try {
            created.truncate(0);
        } catch (IOException | RuntimeException e) {
            created.close();
            throw e;
        }
        return created;
    }

    /** @return the path this file was opened from */
    public Path path() {
        return path;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        ensureOpen();
        if (position < 0) {
            throw new InvalidRequestException(name + ": negative offset " + position);
        }
        int total = 0;
        try {
            if (direct != null) {
                return direct.read(dst, position);
            }
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                total += n;
            }
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
        return total;
    }

    /**
     * {@link FileChannel#transferTo}: to a socket, the kernel's {@code sendfile} (the bytes go from
     * the page cache to the socket without a copy in this process). A file opened {@code direct}
     * has no page cache to send from: it reads and writes, as {@link BlockFile#transferTo} does.
     */
    @Override
    public void transferTo(long position, long count, WritableByteChannel target) throws IOException {
        ensureOpen();
        if (position < 0 || count < 0) {
            throw new InvalidRequestException(name + ": negative offset or length (" + position + ", " + count + ")");
        }
        if (direct != null) {
            BlockFile.super.transferTo(position, count, target);
            return;
        }
        long done = 0;
        try {
            while (done < count) {
                long n = channel.transferTo(position + done, count - done, target);
                if (n <= 0) {
                    if (position + done >= channel.size()) {
                        throw new EOFException(name + ": unexpected end of file at offset " + (position + done)
                                + " (file size " + channel.size() + ")");
                    }
                    // Nothing moved though the file goes on: the plain way for this part.
                    BlockFile.super.transferTo(position + done, count - done, target);
                    return;
                }
                done += n;
            }
        } catch (ClosedChannelException e) {
            if (!channel.isOpen()) {
                throw closed(e);
            }
            throw e;
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        if (position < 0) {
            throw new InvalidRequestException(name + ": negative offset " + position);
        }
        long at = position;
        try {
            if (direct != null) {
                direct.write(src, position);
                return;
            }
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        } catch (ClosedChannelException e) {
            throw closed(e);
        } finally {
            changed();
        }
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        try {
            return direct != null ? direct.size() : channel.size();
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    /**
     * The blocks the file takes ({@code st_blocks}, in 512-byte units, as QEMU counts them): asked
     * of {@code statx} on JDK 22+ (see {@link Holes#allocatedBytes}), else of the {@code stat}
     * program (the JDK 17 API has no block count); the length when neither can tell.
     */
    @Override
    public long allocatedSize() throws IOException {
        ensureOpen();
        long bytes = Holes.allocatedBytes(path);
        return bytes >= 0 ? bytes : StatProgram.allocatedBytes(path);
    }

    @Override
    public void truncate(long size) throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        if (size < 0) {
            throw new InvalidRequestException(name + ": negative size " + size);
        }
        // RandomAccessFile.setLength extends sparsely; FileChannel can only shrink.
        try {
            if (direct != null) {
                direct.alone(() -> {
                    file.setLength(size);
                    return null;
                });
            } else {
                file.setLength(size);
            }
        } finally {
            changed();
        }
    }

    @Override
    public long seekData(long position) throws IOException {
        return seek(position, true);
    }

    @Override
    public long seekHole(long position) throws IOException {
        return seek(position, false);
    }

    /**
     * The holes' answer, or the last data run's: {@code SEEK_HOLE} walks the whole data run it
     * starts in (a tmpfs walks its pages), so block status asked chunk by chunk through a long run
     * would walk it again for every chunk. A run seen by {@code SEEK_HOLE} answers for any
     * position inside it until the file changes (a write, a punch, a truncate), as QEMU's
     * file-posix keeps its block-status cache.
     */
    private long seek(long position, boolean data) throws IOException {
        long size = size();
        long at = Math.max(position, 0);
        if (at >= size) {
            return size;
        }
        long seen = changes.get();
        DataRun run = lastData;
        if (run != null && run.changesSeen() == seen && run.start() <= at && at < run.end()) {
            return data ? at : run.end();
        }
        long found = data ? holes.seekData(at, size) : holes.seekHole(at, size);
        if (found == Holes.CLOSED) {
            // closed while this call was on its way
            throw new ImageClosedException(name);
        }
        found = Math.max(at, found);
        if (!data && found > at) {
            // No hole in [at, found): data, as long as nothing changed meanwhile.
            lastData = new DataRun(at, found, seen);
        }
        return found;
    }

    /** Bytes {@code [start, end)} held data when the file had seen {@code changesSeen} changes. */
    private record DataRun(long start, long end, long changesSeen) {
    }

    /** Counts a change of the file's bytes or holes (after it is made), which forgets the data run seen. */
    private void changed() {
        unflushed.set(true);
        changes.incrementAndGet();
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@code mayUnmap}, the part inside the file becomes a hole where the file system can
     * punch one; without, it is zeroed in place ({@code FALLOC_FL_ZERO_RANGE}) where the file system
     * can; else zeros are written. A part past the end grows the file sparsely.
     */
    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        if (offset < 0 || length < 0) {
            throw new InvalidRequestException(name + ": negative offset or length (" + offset + ", " + length + ")");
        }
        if (holes.punches() && length > 0) {
            long size = size();
            long inside = Math.max(0, Math.min(offset + length, size) - offset);
            if (inside == 0 || (mayUnmap ? punch(offset, inside) : zeroRange(offset, inside))) {
                if (offset + length > size) {
                    truncate(offset + length);
                }
                return;
            }
        }
        BlockFile.super.writeZeroes(offset, length, mayUnmap);
    }

    /** {@inheritDoc} <p>Punches a hole where the file system can. */
    @Override
    public void discard(long offset, long length) throws IOException {
        ensureOpen();
        BlockFile.super.discard(offset, length);
        long inside = Math.max(0, Math.min(offset + length, size()) - offset);
        if (inside > 0) {
            punch(offset, inside);
        }
    }

    private boolean punch(long offset, long length) throws IOException {
        try {
            return direct != null ? direct.holding(offset, length, () -> holes.punch(offset, length))
                    : holes.punch(offset, length);
        } finally {
            changed();
        }
    }

    private boolean zeroRange(long offset, long length) throws IOException {
        try {
            return direct != null ? direct.holding(offset, length, () -> holes.zeroRange(offset, length))
                    : holes.zeroRange(offset, length);
        } finally {
            changed();
        }
    }

    /** @return {@link Capability#HOLES} where holes are known, the punching ones where holes can be
     *         made, {@link Capability#TRANSFER} for a regular file read through the page cache */
    @Override
    public java.util.Set<Capability> capabilities() {
        java.util.Set<Capability> all = BlockFile.super.capabilities();
        if (holes.seeks()) {
            all.add(Capability.HOLES);
        }
        if (regular && direct == null) {
            all.add(Capability.TRANSFER);
        }
        if (!readOnly && holes.punches()) {
            all.add(Capability.DISCARD);
            all.add(Capability.WRITE_ZEROES);
        }
        return all;
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        // Cleared before the force: a write that finishes meanwhile marks it again for the next flush.
        if (!readOnly && unflushed.getAndSet(false)) {
            try {
                channel.force(true);
            } catch (IOException e) {
                unflushed.set(true);
                throw e;
            }
        }
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the file's absolute path */
    @Override
    public String location() {
        return path.toAbsolutePath().normalize().toString();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The locks are QEMU's (see {@link FileLocks}). Asking again for the mode held is harmless;
     * asking for another mode gives up the held lock first, and takes it back when the new one is
     * refused. An exclusive lock needs a file opened for writing.
     */
    @Override
    public synchronized void lock(LockMode mode) throws IOException {
        ensureOpen();
        if (readOnly && (mode == LockMode.EXCLUSIVE || mode == LockMode.WRITE_SHARE_ALL
                || mode == LockMode.WRITE_SHARE_ALL_FIXED_SIZE)) {
            throw new InvalidRequestException(name + ": cannot take the \"write\" lock on a file opened read-only");
        }
        LockMode previous = lock == null ? LockMode.NONE : lock.mode();
        if (previous == mode) {
            return;
        }
        if (lock != null) {
            lock.release();
            lock = null;
        }
        try {
            lock = take(mode);
        } catch (IOException | RuntimeException e) {
            try {
                lock = take(previous);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private FileLocks.Held take(LockMode mode) throws IOException {
        return mode == LockMode.NONE ? null : FileLocks.acquire(fileKey, path, channel, !readOnly, mode, name);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (lock != null) {
                lock.release();
                lock = null;
            }
        } finally {
            try {
                FileLocks.close(fileKey, holes);
            } finally {
                try {
                    if (direct != null) {
                        FileLocks.close(fileKey, direct.channel());
                    }
                } finally {
                    FileLocks.close(fileKey, file);
                }
            }
        }
    }

    /**
     * The channel is closed under us: by {@link #close()}, or by the JDK when a thread was
     * interrupted during I/O on it (which closes the channel for every thread).
     */
    private BlockException closed(ClosedChannelException e) {
        if (e instanceof ClosedByInterruptException) {
            return new BlockException(name + ": I/O interrupted; the file is closed", e);
        }
        return new ImageClosedException(name);
    }

    /** Closes a descriptor of this file after {@code failure}, as {@link #close()} closes them. */
    private void closeAfter(java.io.Closeable opened, Throwable failure) {
        try {
            FileLocks.close(fileKey, opened);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }
}
