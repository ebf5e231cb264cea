package org.jblock.shell.img;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import org.jblock.api.ImageLockedException;

/**
 * One line for a person from any failure: no class names where a message says enough. A lock
 * failure keeps QEMU's second line ({@code Is another process using the image [f]?}).
 */
public final class Messages {
    /** How a lock error's reason starts, after the file's name. */
    private static final String LOCK_FAILURE = ": Failed to ";

    private Messages() {
    }

    public static String describe(Throwable e) {
        String text;
        if (e instanceof ImageLockedException && e.getMessage().contains(LOCK_FAILURE)) {
            // QEMU's two lines, as scripts and qemu's test suite expect them: the reason, then the hint.
            return e.getMessage().substring(e.getMessage().indexOf(LOCK_FAILURE) + 2);
        }
        if (e instanceof NoSuchFileException) {
            text = ((NoSuchFileException) e).getFile() + ": No such file or directory";
        } else if (e instanceof AccessDeniedException) {
            AccessDeniedException denied = (AccessDeniedException) e;
            text = denied.getFile() + ": " + (denied.getReason() != null ? denied.getReason() : "Permission denied");
        } else if (e instanceof FileAlreadyExistsException) {
            text = ((FileAlreadyExistsException) e).getFile() + ": File exists";
        } else if (e instanceof FileSystemException) {
            FileSystemException fs = (FileSystemException) e;
            text = fs.getFile() + ": " + (fs.getReason() != null ? fs.getReason() : "I/O error");
        } else if (e instanceof RuntimeException) {
            text = "internal error: " + e;
        } else if (e.getMessage() == null || e.getMessage().isBlank()) {
            text = e.getClass().getSimpleName();
        } else {
            text = e.getMessage();
        }
        // A wrapped lock failure ("Could not open 'f': ...") keeps its two lines too.
        return e.getCause() instanceof ImageLockedException ? text.strip() : text.replace('\n', ' ').strip();
    }
}
