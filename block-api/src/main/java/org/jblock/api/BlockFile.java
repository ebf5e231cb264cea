package org.jblock.api;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The protocol layer: positional byte I/O on the storage under an image (a local file, memory).
 *
 * <p>Formats sit on a {@code BlockFile}; tests wrap one to inject faults or count I/O (see
 * {@link org.jblock.api.spi.support.DelegatingBlockFile}). Implementations are safe for concurrent
 * positional reads and writes from many threads; a position past the end reads as end of file and a
 * write past the end extends the file (the gap reads as zeros).
 *
 * <p>Implementations: {@link LocalBlockFile} (a file through {@code FileChannel}) and
 * {@link MemoryBlockFile} (growable, sparse, in memory).
 */
public interface BlockFile extends Closeable {

    /** How an open holds the file against other opens (in this process or another). */
    enum LockMode {
        /** Readers: any number may hold it together, but no writer. */
        SHARED,
        /** A writer: nobody else may hold any lock. */
        EXCLUSIVE
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
     * (memory) needs none and accepts every mode.
     *
     * @throws ImageLockedException when another open holds a conflicting lock
     */
    default void lock(LockMode mode) throws IOException {
    }

    /** Releases the lock and the storage. Closing twice is harmless. */
    @Override
    void close() throws IOException;
}
