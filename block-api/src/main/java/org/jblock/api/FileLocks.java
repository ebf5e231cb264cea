package org.jblock.api;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * Image locks: one table for this process, an OS lock for other processes.
 *
 * <p>POSIX record locks belong to a process, not to an open, so two opens in one JVM would never
 * conflict through the OS alone (and the JDK refuses overlapping locks outright). The table counts
 * this process's holders per file; the first holder takes the OS lock, the last one releases it.
 */
final class FileLocks {
    /** The whole range, so every other locker sees the conflict whatever bytes it tests. */
    private static final long LOCK_START = 0;
    private static final long LOCK_LENGTH = Long.MAX_VALUE;

    private static final Map<Object, Entry> TABLE = new HashMap<>();

    private static final class Entry {
        BlockFile.LockMode mode;
        int holders;
        FileLock osLock;
    }

    /** A lock held by one open. */
    interface Held {
        BlockFile.LockMode mode();

        void release() throws IOException;
    }

    private FileLocks() {
    }

    static Held acquire(Path path, FileChannel channel, BlockFile.LockMode mode, String name) throws IOException {
        Object key = identity(path);
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
            entry = new Entry();
            entry.mode = mode;
            entry.holders = 1;
            entry.osLock = osLock;
            TABLE.put(key, entry);
            return held(key, entry, mode);
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
                    if (--entry.holders == 0) {
                        TABLE.remove(key);
                        if (entry.osLock.isValid()) {
                            entry.osLock.release();
                        }
                    }
                }
            }
        };
    }

    private static ImageLockedException locked(String name, BlockFile.LockMode mode) {
        String perm = mode == BlockFile.LockMode.EXCLUSIVE ? "Failed to get \"write\" lock"
                : "Failed to get shared \"write\" lock";
        return new ImageLockedException(name + ": " + perm + "\nIs another process using the image [" + name + "]?");
    }

    private static Object identity(Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path.toRealPath();
    }
}
