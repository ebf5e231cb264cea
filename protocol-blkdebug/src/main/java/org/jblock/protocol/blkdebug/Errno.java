package org.jblock.protocol.blkdebug;

import java.util.Map;

/** The texts Linux's C library gives the error numbers a rule is likely to inject. */
final class Errno {
    private static final Map<Integer, String> TEXTS = Map.ofEntries(
            Map.entry(1, "Operation not permitted"),
            Map.entry(2, "No such file or directory"),
            Map.entry(4, "Interrupted system call"),
            Map.entry(5, "Input/output error"),
            Map.entry(6, "No such device or address"),
            Map.entry(9, "Bad file descriptor"),
            Map.entry(11, "Resource temporarily unavailable"),
            Map.entry(12, "Cannot allocate memory"),
            Map.entry(13, "Permission denied"),
            Map.entry(16, "Device or resource busy"),
            Map.entry(19, "No such device"),
            Map.entry(22, "Invalid argument"),
            Map.entry(27, "File too large"),
            Map.entry(28, "No space left on device"),
            Map.entry(30, "Read-only file system"),
            Map.entry(95, "Operation not supported"),
            Map.entry(110, "Connection timed out"),
            Map.entry(122, "Disk quota exceeded"),
            Map.entry(125, "Operation canceled"));

    private Errno() {
    }

    static String text(int errno) {
        return TEXTS.getOrDefault(errno, "Unknown error " + errno);
    }
}
