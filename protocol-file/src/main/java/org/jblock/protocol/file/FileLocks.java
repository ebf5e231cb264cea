package org.jblock.protocol.file;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jblock.api.BlockFile;
import org.jblock.api.ImageLockedException;

/**
 * QEMU's image-locking protocol (file-posix), so that jblock and QEMU's tools see each other's
 * opens exactly as two QEMU tools would.
 *
 * <h2>The protocol</h2>
 * Each permission i (0 consistent read, 1 write, 2 write unchanged, 3 resize) has two bytes: an
 * open holds a shared one-byte lock on 100+i for each permission it uses, and on 200+i for each
 * it does not share with others. An open may take permission i only when nobody else holds 200+i
 * ({@code Failed to get "write" lock}), and may refuse to share i only when nobody else holds
 * 100+i ({@code Failed to get shared "write" lock}). The sets QEMU's tools use:
 * <ul>
 *   <li>a reader ({@link BlockFile.LockMode#SHARED}): uses consistent read; shares neither write nor
 *       resize: bytes 100, 201, 203;</li>
 *   <li>a writer ({@link BlockFile.LockMode#EXCLUSIVE}): uses consistent read, write and resize;
 *       shares neither write nor resize: 100, 101, 103, 201, 203;</li>
 *   <li>force-share ({@link BlockFile.LockMode#SHARE_ALL}, {@code -U}, and a reader of a raw
 *       image): uses consistent read and shares everything: 100;</li>
 *   <li>a writer of a raw image ({@link BlockFile.LockMode#WRITE_SHARE_ALL}): uses consistent read
 *       and write, shares everything: 100, 101;</li>
 *   <li>the same two, for an open that told others the size (an NBD export of a raw image,
 *       {@link BlockFile.LockMode#SHARE_ALL_FIXED_SIZE}, {@link BlockFile.LockMode#WRITE_SHARE_ALL_FIXED_SIZE}):
 *       they do not share resize either: 100, 203 and 100, 101, 203.</li>
 * </ul>
 * Which set an open gets depends on its format (a format with metadata keeps other writers out,
 * raw does not); the registry locks the file lightly before the format is known and asks for the
 * format's set once it is.
 *
 * <h2>Java's locks</h2>
 * The JDK takes POSIX record locks, which belong to a process, not to an open file; QEMU takes
 * open-file-description locks, and the two kinds conflict across processes as they should. But:
 * <ul>
 *   <li>two opens in one JVM never conflict through the OS (and the JDK refuses overlapping locks
 *       outright), so this class keeps a table of this process's opens per file (by device and
 *       inode) and checks them against each other itself; the process holds a byte while any of
 *       its opens needs it;</li>
 *   <li>the JDK cannot ask who holds a lock ({@code F_GETLK}): a byte is tested by taking an
 *       exclusive lock on it and giving it back at once, through a descriptor open for writing
 *       (the open's own, or one opened for the test; a file this process may not write cannot be
 *       tested, and is only locked). The test comes just before the byte is locked, so two opens
 *       in two processes racing in that gap could both succeed;</li>
 *   <li>closing <em>any</em> descriptor of a file drops every lock the process holds on it: while
 *       the table holds a file, its descriptors are not closed but parked in its entry (see
 *       {@link #close}), and closed when the last holder releases.</li>
 * </ul>
 */
final class FileLocks {
    static final int PERM_BASE = 100;
    static final int SHARED_BASE = 200;

    /** QEMU's permissions, in bit order, with the names its messages use. */
    enum Perm {
        CONSISTENT_READ("consistent read"), WRITE("write"), WRITE_UNCHANGED("write unchanged"), RESIZE("resize");

        final String label;

        Perm(String label) {
            this.label = label;
        }
    }

    /** What an open uses and what it does not share. */
    record Access(EnumSet<Perm> perm, EnumSet<Perm> unshared) {
        static Access of(BlockFile.LockMode mode) {
            switch (mode) {
                case SHARED:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ), EnumSet.of(Perm.WRITE, Perm.RESIZE));
                case EXCLUSIVE:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ, Perm.WRITE, Perm.RESIZE),
                            EnumSet.of(Perm.WRITE, Perm.RESIZE));
                case SHARE_ALL:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ), EnumSet.noneOf(Perm.class));
                case WRITE_SHARE_ALL:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ, Perm.WRITE), EnumSet.noneOf(Perm.class));
                case SHARE_ALL_FIXED_SIZE:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ), EnumSet.of(Perm.RESIZE));
                case WRITE_SHARE_ALL_FIXED_SIZE:
                    return new Access(EnumSet.of(Perm.CONSISTENT_READ, Perm.WRITE), EnumSet.of(Perm.RESIZE));
                default:
                    return new Access(EnumSet.noneOf(Perm.class), EnumSet.noneOf(Perm.class));
            }
        }

        /** @return the bytes this access holds */
        List<Integer> bytes() {
            List<Integer> bytes = new ArrayList<>();
            perm.forEach(p -> bytes.add(PERM_BASE + p.ordinal()));
            unshared.forEach(p -> bytes.add(SHARED_BASE + p.ordinal()));
            return bytes;
        }
    }

    private static final Map<Object, Entry> TABLE = new HashMap<>();

    /** One file's locks in this process. */
    private static final class Entry {
        final Path path;
        final List<HeldAccess> holders = new ArrayList<>();
        final Map<Integer, FileLock> osLocks = new TreeMap<>();
        final List<Closeable> parked = new ArrayList<>();
        /** A descriptor open for writing, only to test bytes; null until needed, or when refused. */
        RandomAccessFile tester;
        boolean testerRefused;

        Entry(Path path) {
            this.path = path;
        }

        boolean anyHolds(int bytePosition) {
            return holders.stream().anyMatch(h -> h.access.bytes().contains(bytePosition));
        }
    }

    private static final class HeldAccess {
        final Access access;
        final FileChannel channel;

        HeldAccess(Access access, FileChannel channel) {
            this.access = access;
            this.channel = channel;
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
     * Takes the bytes of {@code mode} on the file {@code key} names, after checking them against
     * this process's other opens and against other processes.
     *
     * @param channel  the open's descriptor (parked, never closed, while the file is locked)
     * @param writable whether {@code channel} was opened for writing
     * @throws ImageLockedException with QEMU's message when a byte it needs is held by another open
     */
    static Held acquire(Object key, Path path, FileChannel channel, boolean writable, BlockFile.LockMode mode,
                        String name) throws IOException {
        Access access = Access.of(mode);
        synchronized (TABLE) {
            Entry entry = TABLE.computeIfAbsent(key, k -> new Entry(path));
            try {
                check(entry, access, writable ? channel : null, name);
                for (int b : access.bytes()) {
                    if (!entry.osLocks.containsKey(b)) {
                        FileLock lock = channel.tryLock(b, 1, true);
                        if (lock == null) {
                            throw new ImageLockedException(name + ": Failed to lock byte " + b
                                    + "\nIs another process using the image [" + name + "]?");
                        }
                        entry.osLocks.put(b, lock);
                    }
                }
            } catch (IOException | RuntimeException e) {
                dropUnused(entry);
                if (entry.holders.isEmpty()) {
                    TABLE.remove(key);
                    if (entry.tester != null) {
                        entry.tester.close();
                    }
                }
                throw e;
            }
            HeldAccess held = new HeldAccess(access, channel);
            entry.holders.add(held);
            return handle(key, entry, held, mode);
        }
    }

    /** QEMU's order: every permission wanted against the "not shared" bytes, then every refusal against the "used" ones. */
    private static void check(Entry entry, Access access, FileChannel writable, String name) throws IOException {
        for (Perm p : access.perm) {
            int b = SHARED_BASE + p.ordinal();
            if (entry.anyHolds(b) || (!entry.osLocks.containsKey(b) && heldElsewhere(entry, b, writable))) {
                throw locked(name, "Failed to get \"" + p.label + "\" lock");
            }
        }
        for (Perm p : access.unshared) {
            int b = PERM_BASE + p.ordinal();
            if (entry.anyHolds(b) || (!entry.osLocks.containsKey(b) && heldElsewhere(entry, b, writable))) {
                throw locked(name, "Failed to get shared \"" + p.label + "\" lock");
            }
        }
    }

    /** @return whether another process holds a lock on byte {@code b} (this one holds none there) */
    private static boolean heldElsewhere(Entry entry, int b, FileChannel writable) throws IOException {
        FileChannel tester = writable != null ? writable : tester(entry);
        if (tester == null) {
            return false;
        }
        try {
            FileLock probe = tester.tryLock(b, 1, false);
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException | NonWritableChannelException e) {
            return true;
        }
    }

    private static FileChannel tester(Entry entry) {
        if (entry.tester == null && !entry.testerRefused) {
            try {
                entry.tester = new RandomAccessFile(entry.path.toFile(), "rw");
            } catch (IOException e) {
                entry.testerRefused = true;
            }
        }
        return entry.tester == null ? null : entry.tester.getChannel();
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

    private static Held handle(Object key, Entry entry, HeldAccess held, BlockFile.LockMode mode) {
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
                    entry.holders.remove(held);
                    dropUnused(entry);
                    if (entry.holders.isEmpty()) {
                        TABLE.remove(key);
                        List<Closeable> all = new ArrayList<>(entry.parked);
                        if (entry.tester != null) {
                            all.add(entry.tester);
                        }
                        closeAll(all);
                    }
                }
            }
        };
    }

    /** Releases the bytes no open of this process needs any more. */
    private static void dropUnused(Entry entry) throws IOException {
        var it = entry.osLocks.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, FileLock> e = it.next();
            if (!entry.anyHolds(e.getKey())) {
                if (e.getValue().isValid()) {
                    e.getValue().release();
                }
                it.remove();
            }
        }
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

    private static ImageLockedException locked(String name, String what) {
        return new ImageLockedException(name + ": " + what + "\nIs another process using the image [" + name + "]?");
    }
}
