package org.jblock.shell;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import org.jblock.api.CorruptImageException;

/**
 * Why an image did not open, in the words qemu-img and qemu-io 7.2 use after their
 * {@code Could not open 'FILE': } and {@code can't open device FILE: } prefixes. Scripts and
 * qemu's test suite compare these lines, so they stay short: a damaged image says what is wrong
 * ({@code Invalid block size 0}) and leaves where and why to {@code check}.
 */
public final class OpenFailure {
    private OpenFailure() {
    }

    /** @return qemu's reason for {@code e} while opening {@code path}, or null when qemu has no fixed wording for it */
    public static String reason(String path, Throwable e) {
        // The file the failure names: the one that did not open, which an image named by options
        // (json:{...}) or a filter (blkdebug::t.vhd) names apart from the whole.
        String file = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile() : path;
        if (e instanceof NoSuchFileException missing) {
            // A protocol's own reason (an NBD server without that export) is said as the protocol says it.
            String reason = missing.getReason();
            return reason == null || reason.equals("No such file or directory")
                    ? "Could not open '" + file + "': No such file or directory" : reason;
        }
        if (e instanceof AccessDeniedException) {
            return "Could not open '" + file + "': Permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return "Could not open '" + file + "': " + fse.getReason();
        }
        if (e instanceof CorruptImageException corrupt) {
            return corrupt.problem();
        }
        return null;
    }
}
