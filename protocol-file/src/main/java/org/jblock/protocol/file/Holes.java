package org.jblock.protocol.file;

import java.io.Closeable;
import java.nio.file.Path;

/**
 * A local file's holes: {@code lseek(SEEK_DATA/SEEK_HOLE)} and {@code fallocate(PUNCH_HOLE)}; and what
 * the holes leave, the blocks the file takes ({@code statx}).
 *
 * <p>This is the JDK 17 version, which knows of no holes: the JDK 17 API offers neither call, so
 * every byte counts as data and nothing is punched. The multi-release jar carries a JDK 22+
 * version of this class ({@code src/main/java22}) that makes the calls through the Foreign
 * Function &amp; Memory API.
 */
final class Holes implements Closeable {
    /** What {@link #seekData}/{@link #seekHole} answer once closed (the JDK 22+ version; here, never). */
    static final long CLOSED = -2;

    private Holes() {
    }

    /** Gets the calls ready ahead of the first question (the JDK 22+ version binds them); here, nothing to do. */
    static void prepare() {
    }

    /** @return the holes of {@code path}; here, none are ever known */
    static Holes open(Path path, boolean writable) {
        return new Holes();
    }

    /** @return whether {@link #seekData}/{@link #seekHole} can tell holes from data */
    boolean seeks() {
        return false;
    }

    /** @return whether {@link #punch} may give space back */
    boolean punches() {
        return false;
    }

    /** {@code lseek(SEEK_DATA)} for {@code 0 <= position < size}: here, {@code position} (all data). */
    long seekData(long position, long size) {
        return position;
    }

    /** {@code lseek(SEEK_HOLE)} for {@code 0 <= position < size}: here, {@code size} (no hole). */
    long seekHole(long position, long size) {
        return size;
    }

    /** @return whether the range, inside the file, now is a hole; here, never */
    boolean punch(long offset, long length) {
        return false;
    }

    /** @return whether the range, inside the file, now reads as zeros and stays allocated; here, never */
    boolean zeroRange(long offset, long length) {
        return false;
    }

    /** @return the bytes the file at {@code path} takes on its disk; here, -1: the JDK 17 API cannot tell */
    static long allocatedBytes(Path path) {
        return -1;
    }

    @Override
    public void close() {
    }
}
