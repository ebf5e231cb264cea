package org.jblock.api;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.EnumSet;
import java.util.Set;

/**
 * The protocol layer: positional byte I/O on the storage under an image (a local file, an NBD
 * export, a web server, memory).
 *
 * <p>Formats sit on a {@code BlockFile}; tests wrap one to inject faults or count I/O (see
 * {@link org.jblock.api.spi.support.DelegatingBlockFile}). Implementations are safe for concurrent
 * positional reads and writes from many threads; a position past the end reads as end of file and a
 * write past the end extends the file (the gap reads as zeros) where the storage can grow.
 *
 * <p>Protocol providers ({@link org.jblock.api.spi.BlockProtocol}) open them; {@link MemoryBlockFile}
 * (growable, sparse, in memory) is the one users and tests create directly.
 */
public interface BlockFile extends Closeable {

    /**
     * How an open holds the storage against other opens (in this process or another), in the terms
     * of QEMU's image locking: what it uses, and what it lets others use.
     */
    enum LockMode {
        /** A reader that keeps writers out (QEMU's read-only open): any number may hold it together. */
        SHARED,
        /** A writer: keeps other writers and the readers of {@link #SHARED} out. */
        EXCLUSIVE,
        /**
         * A reader that lets everybody in, writers too (QEMU's {@code -U}, force-share, and any
         * reader of a raw image): it sees what others write while it reads.
         */
        SHARE_ALL,
        /**
         * A writer that lets everybody in, other writers too: QEMU's writer of a raw image, whose
         * bytes are all the guest's, with no metadata another writer could corrupt.
         */
        WRITE_SHARE_ALL,
        /**
         * {@link #SHARE_ALL}, but keeping out whoever would resize: a reader that told others the
         * size (QEMU's read-only NBD export of a raw image).
         */
        SHARE_ALL_FIXED_SIZE,
        /**
         * {@link #WRITE_SHARE_ALL}, but keeping out whoever would resize: a writer that told others
         * the size (QEMU's writable NBD export of a raw image).
         */
        WRITE_SHARE_ALL_FIXED_SIZE,
        /** No lock at all (QEMU's {@code locking=off}). */
        NONE
    }

    /** What a storage can do beyond reading; see {@link #capabilities()}. */
    enum Capability {
        /** Writes are possible (the storage is writable and this handle was opened for writing). */
        WRITE,
        /** {@link #seekData}/{@link #seekHole} tell holes from data without reading. */
        HOLES,
        /** {@link #discard} gives space back (a local file punches a hole). */
        DISCARD,
        /** {@link #writeZeroes} is cheaper than writing zero bytes (no data crosses the wire or the disk). */
        WRITE_ZEROES,
        /**
         * {@link #transferTo} moves the bytes without copying them through this process (a local
         * file: the kernel's {@code sendfile}), so it is cheaper than reading them and writing them.
         */
        TRANSFER,
        /**
         * The storage keeps no data (QEMU's {@code null-co} without {@code read-zeroes}): its runs
         * that are not holes are reported as neither data nor zeros, unallocated, as QEMU's block
         * status reports them, though they read as zeros.
         */
        NO_DATA
    }

    /**
     * Reads bytes at {@code position} into {@code dst} until it is full or the file ends.
     *
     * @return the number of bytes read, or -1 when {@code position} is at or past the end
     * @throws IOException on an I/O error, or when the file is closed
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code position}.
     *
     * @throws EOFException when the file ends first; the message names the file and the offset
     */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = read(dst, at);
            if (n < 0) {
                throw new EOFException(name() + ": unexpected end of file at offset " + at
                        + " (file size " + size() + ")");
            }
            at += n;
        }
    }

    /**
     * Writes exactly {@code count} bytes at {@code position} to {@code target} (a blocking channel,
     * such as a socket). The default reads them through a buffer and writes that; storage with
     * {@link Capability#TRANSFER} hands them over without copying them through this process.
     *
     * @throws EOFException when the file ends first; some bytes may have been written by then
     */
    default void transferTo(long position, long count, WritableByteChannel target) throws IOException {
        ByteBuffer buffer = IoBuffers.allocate((int) Math.min(count, 1 << 20));
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(buffer.capacity(), count - done);
            buffer.clear().limit(n);
            readFully(buffer, position + done);
            buffer.flip();
            while (buffer.hasRemaining()) {
                target.write(buffer);
            }
            done += n;
        }
    }

    /**
     * Writes all of {@code src} at {@code position}, extending the file when it ends before.
     *
     * @throws ReadOnlyImageException when the file was opened read-only
     */
    void write(ByteBuffer src, long position) throws IOException;

    /** @return the current length in bytes */
    long size() throws IOException;

    /**
     * Sets the length: shrinking drops the tail; growing adds a tail that reads as zeros and is
     * sparse where the storage allows.
     */
    void truncate(long size) throws IOException;

    /**
     * Like {@code lseek(SEEK_DATA)}: the first offset at or after {@code position} that may hold
     * data, as far as the storage can tell without reading it.
     *
     * <p>Only what the storage knows for sure counts as a hole: a storage that cannot tell cheaply
     * reports everything as data (the default), never the other way round.
     *
     * @return {@code position} when it may hold data, the start of the next run that may hold data,
     *         or {@link #size()} when only holes follow (also when {@code position >= size()})
     */
    default long seekData(long position) throws IOException {
        return Math.min(Math.max(position, 0), size());
    }

    /**
     * Like {@code lseek(SEEK_HOLE)}: the first offset at or after {@code position} that is known to
     * be a hole (reads as zeros with no storage behind it).
     *
     * @return {@code position} when it is in a hole, the start of the next known hole, or
     *         {@link #size()} when none follows (the default)
     */
    default long seekHole(long position) throws IOException {
        return size();
    }

    /**
     * Makes {@code length} bytes at {@code offset} read as zeros.
     *
     * <p>With {@code mayUnmap} the storage may give the space back (a hole) instead of writing
     * zeros. The default writes zero bytes, a megabyte at a time, extending the file like
     * {@link #write} does; storage with {@link Capability#WRITE_ZEROES} does better.
     *
     * @throws ReadOnlyImageException when the file was opened read-only
     */
    default void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        if (offset < 0 || length < 0) {
            throw new InvalidRequestException(name() + ": negative offset or length (" + offset + ", " + length + ")");
        }
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(zeros.capacity(), length - done);
            zeros.clear().limit(n);
            write(zeros, offset + done);
            done += n;
        }
    }

    /**
     * Tells the storage that {@code length} bytes at {@code offset} are no longer needed: a hint
     * that it may give their space back. What they read afterwards is unspecified (old data or
     * zeros); callers that need zeros use {@link #writeZeroes}. The default does nothing, which is
     * always correct.
     *
     * @throws ReadOnlyImageException when the file was opened read-only
     */
    default void discard(long offset, long length) throws IOException {
        if (isReadOnly()) {
            throw new ReadOnlyImageException(name());
        }
        if (offset < 0 || length < 0) {
            throw new InvalidRequestException(name() + ": negative offset or length (" + offset + ", " + length + ")");
        }
    }

    /**
     * @return what this handle can do beyond reading; the default is {@link Capability#WRITE} for a
     *         writable handle and nothing else (every default method is then a correct, plain one)
     */
    default Set<Capability> capabilities() {
        return isReadOnly() ? EnumSet.noneOf(Capability.class) : EnumSet.of(Capability.WRITE);
    }

    /**
     * The bytes the storage takes where it lives (QEMU's allocated file size, which
     * {@code qemu-img info} shows as {@code disk size}): for a sparse local file the blocks its data
     * fills, far less than its length.
     *
     * @return the allocated bytes, or -1 when the storage cannot tell (the default: a network
     *         export, memory)
     */
    default long allocatedSize() throws IOException {
        return -1;
    }

    /** Makes every completed write durable (for a local file: {@code fsync}). */
    void flush() throws IOException;

    /** @return true when writes are refused */
    boolean isReadOnly();

    /** @return the name used in messages (a path for a local file) */
    String name();

    /**
     * Where the storage is, in the form a user would type it to open it again: an absolute path for
     * a local file, a URL for a network protocol. A relative name stored in an image (a backing
     * file) is resolved against it. Storage that cannot be reopened by name (memory) answers its
     * {@link #name()}.
     */
    default String location() {
        return name();
    }

    /**
     * Takes a lock on the file for the life of this {@code BlockFile}. Storage that cannot be shared
     * (memory), or whose sharing is the server's business (NBD, HTTP), needs none and accepts every
     * mode. Protocols open their storage locked as the {@link org.jblock.api.spi.ProtocolRequest}
     * says; this method changes the lock of an open file (a reopen, a create that locks before it
     * empties the file).
     *
     * @throws ImageLockedException when another open holds a conflicting lock
     */
    default void lock(LockMode mode) throws IOException {
    }

    /** Releases the lock and the storage. Closing twice is harmless. */
    @Override
    void close() throws IOException;
}
