package org.jblock.protocol.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockFile.LockMode;
import org.jblock.api.ImageLockedException;

/**
 * Run in a second JVM by {@link FileLocksTest}, as another process: either opens the file locked
 * as a {@link LockMode} says and answers through its exit code, or ({@code bytes}) prints which of
 * QEMU's lock bytes somebody holds.
 */
final class OsLockProbe {
    static final int LOCKED = 0;
    static final int REFUSED = 3;
    static final int FAILED = 4;

    private OsLockProbe() {
    }

    /** @param args the file, and a {@link LockMode} name or {@code bytes} */
    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        try {
            if (args[1].equals("bytes")) {
                System.out.println(heldBytes(file));
                System.exit(LOCKED);
            }
            LockMode mode = LockMode.valueOf(args[1]);
            try (LocalBlockFile open = LocalBlockFile.open(file, mode != LockMode.EXCLUSIVE)) {
                open.lock(mode);
            }
            System.exit(LOCKED);
        } catch (ImageLockedException e) {
            System.exit(REFUSED);
        } catch (IOException | RuntimeException e) {
            System.exit(FAILED);
        }
    }

    /** @return the bytes 100-103 and 200-203 on which another process holds a lock */
    static List<Integer> heldBytes(Path file) throws IOException {
        List<Integer> held = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int base : new int[] {FileLocks.PERM_BASE, FileLocks.SHARED_BASE}) {
                for (int i = 0; i < 4; i++) {
                    FileLock probe = channel.tryLock(base + i, 1, false);
                    if (probe == null) {
                        held.add(base + i);
                    } else {
                        probe.release();
                    }
                }
            }
        }
        return held;
    }
}
