package org.jblock.shell.img;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** One line for a person from any failure: no class names where a message says enough. */
public final class Messages {
    private Messages() {
    }

    public static String describe(Throwable e) {
        String text;
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
        // Lock errors name the image on a second line; the tool's contract is one line per failure.
        return text.replace('\n', ' ').strip();
    }
}
