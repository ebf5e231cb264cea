package org.jblock.protocol.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of file a path names, from its mode bits ({@code stat}'s {@code S_IFMT}). */
final class FileKind {
    static final String BLOCK_DEVICE = "a block device";
    static final String CHARACTER_DEVICE = "a character device";

    private static final int TYPE_MASK = 0170000;

    private FileKind() {
    }

    /** @return the kind in words ("a FIFO", "a character device", ...) for messages */
    static String of(Path path) throws IOException {
        Object mode;
        try {
            mode = Files.getAttribute(path, "unix:mode");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return "not a regular file";
        }
        switch (((Integer) mode) & TYPE_MASK) {
            case 0010000:
                return "a FIFO";
            case 0020000:
                return CHARACTER_DEVICE;
            case 0060000:
                return BLOCK_DEVICE;
            case 0140000:
                return "a socket";
            default:
                return "not a regular file";
        }
    }
}
