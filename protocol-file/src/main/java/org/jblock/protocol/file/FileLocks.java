package org.jblock.protocol.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageLockedException;

/**
 * Image locks: one table for this process, an OS lock for other processes.
 *
 * <p>The JDK takes POSIX record locks, which belong to a process, not to an open file: two opens in
 * one JVM never conflict through the OS (and the JDK refuses overlapping locks outright), and
 * closing <em>any</em> descriptor of a file drops every lock this process holds on it. So:
 * <ul>
 *   <li>the table counts this process's holders per file (by file key: device and inode); the first
 *       holder takes the OS lock, the last one releases it;</li>
 *   <li>while the table holds a file, descriptors of that file are not closed but parked in its
 *       entry (see {@link #close}), and closed when the last holder releases: otherwise a second
 *       open that is refused, or a reader that closes, would silently unlock the file for every
 *       other process.</li>
 * </ul>
 * The OS lock covers the whole file range, so it conflicts with any byte-range lock another program
 * (QEMU included) takes on the file.
 */
final class FileLocks {
    private static final long LOCK_START = 0;
    private static final long LOCK_LENGTH = Long.MAX_VALUE;

    private static final Map<Object, Entry> TABLE = new HashMap<>();

    private static final class Entry {
        final BlockFile.LockMode mode;
        final FileLock osLock;
        final List<Closeable> parked = new ArrayList<>();
        int holders = 1;

        Entry(BlockFile.LockMode mode, FileLock osLock) {
            this.mode = mode;
            this.osLock = osLock;
        }
    }

    /** A lock held by one open. */
    interface Held {
        BlockFile.LockMode mode();

        /** Gives the lock back; releasing twice is harmless. */
        void release() throws IOException;
    }

    private FileLocks() {
    }

    /** @return the key that identifies the file behind {@code path} in the table */
    static Object identity(Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path.toRealPath();
    }

    /**
     * Takes {@code mode} on the file {@code key} names, through {@code channel} when this process
     * holds no lock on it yet.
     *
     * @throws ImageLockedException when this or another process holds a conflicting lock
     */
    static Held acquire(Object key, FileChannel channel, BlockFile.LockMode mode, String name) throws IOException {
        synchronized (TABLE) {
            Entry entry = TABLE.get(key);
            if (entry != null) {
                if (mode == BlockFile.LockMode.EXCLUSIVE || entry.mode == BlockFile.LockMode.EXCLUSIVE) {
                    throw locked(name, mode);
                }
                entry.holders++;
                return held(key, entry, mode);
            }
            FileLock osLock;
            try {
                osLock = channel.tryLock(LOCK_START, LOCK_LENGTH, mode == BlockFile.LockMode.SHARED);
            } catch (OverlappingFileLockException e) {
                throw locked(name, mode);
            }
            if (osLock == null) {
                throw locked(name, mode);
            }
            entry = new Entry(mode, osLock);
            TABLE.put(key, entry);
            return held(key, entry, mode);
        }
    }

    /**
     * Closes {@code file}, a descriptor of the file {@code key} names, or parks it until this
     * process's last lock on that file is released (closing it now would drop that lock).
     */
    static void close(Object key, Closeable file) throws IOException {
        // Closed under the table's lock: a lock taken on this file by another open in between the
        // check and the close would otherwise be dropped by it.
        synchronized (TABLE) {
            Entry entry = TABLE.get(key);
            if (entry != null) {
                entry.parked.add(file);
            } else {
                file.close();
            }
        }
    }

    private static Held held(Object key, Entry entry, BlockFile.LockMode mode) {
        return new Held() {
            private boolean released;

            @Override
            public BlockFile.LockMode mode() {
                return mode;
            }

            @Override
            public void release() throws IOException {
                synchronized (TABLE) {
                    if (released) {
                        return;
                    }
                    released = true;
                    if (--entry.holders > 0) {
                        return;
                    }
                    TABLE.remove(key);
                    try {
                        if (entry.osLock.isValid()) {
                            entry.osLock.release();
                        }
                    } finally {
                        closeAll(entry.parked);
                    }
                }
            }
        };
    }

    private static void closeAll(List<Closeable> files) throws IOException {
        IOException failure = null;
        for (Closeable file : files) {
            try {
                file.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static ImageLockedException locked(String name, BlockFile.LockMode mode) {
        String what = mode == BlockFile.LockMode.EXCLUSIVE ? "Failed to get \"write\" lock"
                : "Failed to get shared \"write\" lock";
        return new ImageLockedException(name + ": " + what + "\nIs another process using the image [" + name + "]?");
    }
}
