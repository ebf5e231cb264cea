package org.jblock.protocol.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run in a second JVM by {@link FileLocksTest}: tries to lock the whole file the way another
 * process would, and answers through its exit code only.
 */
final class OsLockProbe {
    static final int LOCKED = 0;
    static final int REFUSED = 3;
    static final int FAILED = 4;

    private OsLockProbe() {
    }

    /** @param args the file, and {@code shared} or {@code exclusive} */
    public static void main(String[] args) {
        boolean shared = "shared".equals(args[1]);
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock(0, Long.MAX_VALUE, shared);
            System.exit(lock != null ? LOCKED : REFUSED);
        } catch (IOException e) {
            System.exit(FAILED);
        }
    }
}
