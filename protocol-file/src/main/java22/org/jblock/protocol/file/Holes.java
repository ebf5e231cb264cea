package org.jblock.protocol.file;

import java.io.Closeable;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A local file's holes, JDK 22+ version (the multi-release jar's {@code META-INF/versions/22}):
 * {@code lseek(SEEK_DATA/SEEK_HOLE)} and {@code fallocate(PUNCH_HOLE or ZERO_RANGE, KEEP_SIZE)} through the
 * Foreign Function &amp; Memory API, on Linux; and what the holes leave, the blocks the file takes
 * ({@code statx}).
 *
 * <p>The calls need a file descriptor, which {@code FileChannel} does not expose (reaching into
 * {@code sun.nio.ch} would need {@code --add-opens}). So the file is opened a second time, with
 * {@code open(2)}, for these calls alone; {@code lseek} on that descriptor only asks a question
 * (nothing reads through it, so its shared file offset does not matter). Closing a descriptor of a
 * file drops the process's POSIX locks on it, so the owner closes this one through
 * {@code FileLocks.close}, like its channel.
 *
 * <p>The calls and {@link #close} exclude each other (a read-write lock: calls run together, close
 * waits for them and they for it): a call racing a close would otherwise reach a closed
 * descriptor, or one the process has meanwhile given to another file. A seek after the close
 * answers {@link #CLOSED}.
 *
 * <p>Anything that keeps the calls from working — another operating system, native access denied
 * ({@code --illegal-native-access=deny}), a file system without {@code SEEK_DATA} ({@code EINVAL})
 * or without hole punching ({@code EOPNOTSUPP}) — leaves the JDK 17 behaviour: all data, nothing
 * punched.
 */
final class Holes implements Closeable {
    /** What {@link #seekData}/{@link #seekHole} answer once the descriptor is closed. */
    static final long CLOSED = -2;

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int ENXIO = 6;
    private static final int EINTR = 4;
    private static final int AT_FDCWD = -100;
    private static final int STATX_BLOCKS = 0x400;
    /** {@code struct statx}: its size, and where {@code stx_mask} and {@code stx_blocks} are. */
    private static final int STATX_SIZE = 256;
    private static final long STX_MASK = 0;
    private static final long STX_BLOCKS = 48;

    /** Whether {@link #prepare} started its thread. */
    private static final AtomicBoolean PREPARED = new AtomicBoolean();

    private final Path path;
    private final boolean writable;
    /** The descriptor: not yet opened (-2), none (-1: the calls cannot be made), or open. */
    private int fd = -2;
    private volatile boolean seeks;
    private volatile boolean punches;
    private volatile boolean zeroesRanges;
    /** Read: a call on {@link #fd}; write: closing it. */
    private final ReadWriteLock use = new ReentrantReadWriteLock();
    /** Set under {@link #use}'s write lock; read under its read lock or this object's monitor. */
    private volatile boolean closed;

    private Holes(Path path, boolean writable) {
        this.path = path;
        this.writable = writable;
    }

    /**
     * @return the holes of {@code path}, or an object that knows of none when they cannot be asked.
     *         Nothing native happens before the first question: a command that never asks about
     *         holes (reading an image's header) pays neither for the C functions' binding nor for
     *         the second descriptor.
     */
    static Holes open(Path path, boolean writable) {
        return new Holes(path, writable);
    }

    /**
     * Binds the hole functions on a daemon thread, once per process, and calls each once where it
     * can do nothing ({@link Native#callOnceInVain}), so that the first question finds them bound
     * and linked: binding spins classes no start-up cache holds (some 20 ms) and a first call
     * links more (some 3 ms), which the thread does while the command's own start-up goes on. A
     * question asked before the binding is done waits for it (the JVM runs a class's
     * initialisation once, other threads waiting); a binding that fails leaves {@link Native#LIB}
     * null, as it would on the first question.
     */
    static void prepare() {
        if (!PREPARED.compareAndSet(false, true)) {
            return;
        }
        Thread binder = new Thread(() -> {
            try {
                Native lib = Native.LIB;
                if (lib != null) {
                    lib.callOnceInVain();
                }
            } catch (Throwable e) {
                // An initialisation that failed: the first question meets it, as without this thread.
            }
        }, "jblock-holes-binding");
        binder.setDaemon(true);
        binder.start();
    }

    /** Opens the descriptor on the first question; after {@link #close()}, no more. */
    private synchronized void ready() {
        if (fd != -2) {
            return;
        }
        fd = -1;
        Native lib = closed ? null : Native.LIB;
        if (lib == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            fd = (int) lib.open.invokeExact(name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
        } catch (Throwable e) {
            fd = -1;
        }
        seeks = fd >= 0;
        punches = fd >= 0 && writable;
        zeroesRanges = punches;
    }

    boolean seeks() {
        ready();
        return seeks;
    }

    boolean punches() {
        ready();
        return punches;
    }

    /**
     * {@code lseek(SEEK_DATA)} for {@code 0 <= position < size}; {@code size} when only holes follow;
     * {@link #CLOSED} once closed.
     */
    long seekData(long position, long size) {
        long found = seek(position, SEEK_DATA, size);
        return found == CLOSED ? CLOSED : found < 0 ? position : Math.min(found, size);
    }

    /**
     * {@code lseek(SEEK_HOLE)} for {@code 0 <= position < size}; {@code size} when no hole follows;
     * {@link #CLOSED} once closed.
     */
    long seekHole(long position, long size) {
        long found = seek(position, SEEK_HOLE, size);
        return found == CLOSED ? CLOSED : found < 0 ? size : Math.min(found, size);
    }

    /**
     * @return the offset found, {@code size} for ENXIO, {@link #CLOSED}, or -1 when the file system
     *         cannot tell
     */
    private long seek(long position, int whence, long size) {
        if (!seeks()) {
            return closed ? CLOSED : -1;
        }
        use.readLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            if (closed) {
                return CLOSED;
            }
            MemorySegment state = arena.allocate(Native.LIB.captureLayout);
            long found = (long) Native.LIB.lseek.invokeExact(state, fd, position, whence);
            if (found >= 0) {
                return found;
            }
            int errno = (int) Native.LIB.errno.get(state, 0L);
            if (errno == ENXIO) {
                return size;
            }
            // EINVAL: the file system has no SEEK_DATA; anything else: do not trust it either.
            seeks = false;
            return -1;
        } catch (Throwable e) {
            seeks = false;
            return -1;
        } finally {
            use.readLock().unlock();
        }
    }

    /** @return whether the range, inside the file, now is a hole (reads as zeros) */
    boolean punch(long offset, long length) {
        if (!punches()) {
            return false;
        }
        // EOPNOTSUPP and the like: the caller writes zeros instead, now and from now on.
        punches = fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
        return punches;
    }

    /** @return whether the range, inside the file, now reads as zeros and stays allocated */
    boolean zeroRange(long offset, long length) {
        ready();
        if (!zeroesRanges) {
            return false;
        }
        zeroesRanges = fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
        return zeroesRanges;
    }

    private boolean fallocate(int mode, long offset, long length) {
        use.readLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            if (closed) {
                return false;
            }
            MethodHandle fallocate = Fallocate.HANDLE;
            if (fallocate == null) {
                return false;
            }
            MemorySegment state = arena.allocate(Native.LIB.captureLayout);
            for (int attempt = 0; attempt < 8; attempt++) {
                int result = (int) fallocate.invokeExact(state, fd, mode, offset, length);
                if (result == 0) {
                    return true;
                }
                if ((int) Native.LIB.errno.get(state, 0L) != EINTR) {
                    return false;
                }
            }
        } catch (Throwable e) {
            // as unsupported
        } finally {
            use.readLock().unlock();
        }
        return false;
    }

    /**
     * @return the bytes the file at {@code path} takes on its disk ({@code stx_blocks} × 512, symbolic
     *         links followed), or -1 when {@code statx} cannot tell
     */
    static long allocatedBytes(Path path) {
        MethodHandle statx = Statx.HANDLE;
        if (statx == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            int result = (int) statx.invokeExact(AT_FDCWD, name, 0, STATX_BLOCKS, buffer);
            if (result != 0 || (buffer.get(ValueLayout.JAVA_INT, STX_MASK) & STATX_BLOCKS) == 0) {
                return -1;
            }
            return buffer.get(ValueLayout.JAVA_LONG, STX_BLOCKS) * 512;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Closes the descriptor once no call is using it; calls after this find it closed. */
    @Override
    public synchronized void close() {
        use.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (fd < 0) {
                return;
            }
            seeks = false;
            punches = false;
            zeroesRanges = false;
            try {
                int ignored = (int) Native.LIB.close.invokeExact(fd);
            } catch (Throwable e) {
                // nothing to give back
            }
        } finally {
            use.writeLock().unlock();
        }
    }

    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    /**
     * {@code int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buffer)},
     * bound apart from the hole functions (asking a size needs no more), or none.
     */
    private static final class Statx {
        static final MethodHandle HANDLE = bind();

        private static MethodHandle bind() {
            if (!linux()) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                return linker.defaultLookup().find("statx").map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
            } catch (RuntimeException e) {
                // IllegalCallerException when native access is denied
                return null;
            }
        }
    }

    /**
     * {@code int fallocate(int fd, int mode, off_t offset, off_t length)} with errno captured, bound on the
     * first punch or zeroing rather than with the others: each binding spins classes no start-up cache
     * holds, and most commands only ask where the data is.
     */
    private static final class Fallocate {
        static final MethodHandle HANDLE = bind();

        private static MethodHandle bind() {
            if (Native.LIB == null) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                return linker.defaultLookup().find("fallocate").map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                        Linker.Option.captureCallState("errno"))).orElse(null);
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** The C functions for holes, or none when this is not Linux or native access is refused. */
    private record Native(MethodHandle open, MethodHandle lseek, MethodHandle close,
                          StructLayout captureLayout, VarHandle errno) {
        /** Bound on first use (the class's initialisation), once per process; null when they cannot be. */
        static final Native LIB = load();

        /**
         * Calls each function once where it can do nothing (a descriptor that is none, an empty
         * name), so that the classes a first call links and initialises are ready for the first
         * real one.
         */
        void callOnceInVain() throws Throwable {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(captureLayout);
                long position = (long) lseek.invokeExact(state, -1, 0L, SEEK_DATA);
                int error = (int) errno.get(state, 0L);
                int closed = (int) close.invokeExact(-1);
                int fd = (int) open.invokeExact(arena.allocateFrom(""), O_RDONLY | O_CLOEXEC, 0);
                if (fd >= 0) {
                    // ENOENT on every Linux; never keep a descriptor all the same
                    closed = (int) close.invokeExact(fd);
                }
            }
        }

        static Native load() {
            if (!linux()) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                Linker.Option capture = Linker.Option.captureCallState("errno");
                StructLayout layout = Linker.Option.captureStateLayout();
                VarHandle errno = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT),
                        Linker.Option.firstVariadicArg(2));
                MethodHandle lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT), capture);
                MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                return new Native(open, lseek, close, layout, errno);
            } catch (RuntimeException e) {
                // IllegalCallerException when native access is denied; a missing symbol
                return null;
            }
        }
    }
}
