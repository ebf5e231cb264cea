package org.jblock.protocol.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * The local-file protocol, QEMU's {@code file} driver: every filename without a protocol prefix,
 * {@code file:NAME} (for a name whose first ':' comes before any '/'), and
 * {@code driver=file,filename=NAME}.
 *
 * <p>Options: {@code filename}, {@code locking=on|off|auto} ({@code off} takes no lock), and
 * {@code cache.direct=on|off} ({@link BlockProtocol#DIRECT}: {@code on} reads and writes with
 * {@code O_DIRECT}, bypassing the page cache; QEMU's cache modes {@code none} and {@code directsync}).
 * Creating never bypasses it: the file is created, then opened as asked.
 */
public final class FileProtocol implements BlockProtocol {
    private static final String PREFIX = FILE + ":";

    static final OptionSpec<String> FILENAME = OptionSpec.string("filename", null, "the file's path");
    static final OptionSpec<String> LOCKING = OptionSpec.choice("locking", "auto",
            "take QEMU's image locks (auto and on: yes; off: no lock)", "auto", "on", "off");

    @Override
    public String name() {
        return FILE;
    }

    @Override
    public String description() {
        return "a local file or block device";
    }

    @Override
    public Map<String, String> parseFilename(String filename) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(FILENAME.name(), filename.startsWith(PREFIX) ? filename.substring(PREFIX.length()) : filename);
        return options;
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(FILENAME, LOCKING, DIRECT);
    }

    /**
     * Binds the hole functions ({@code lseek}, JDK 22+) on a daemon thread when {@code options} name
     * a file that exists, so that its first block status finds them bound; a file still to be
     * created gets none (the binding would compete with the command's start-up for nothing).
     */
    @Override
    public void prepare(Map<String, String> options) {
        String filename = options.get(FILENAME.name());
        try {
            if (filename != null && Files.exists(Path.of(filename))) {
                Holes.prepare();
            }
        } catch (InvalidPathException | SecurityException e) {
            // Not a path this system has: nothing to get ready for.
        }
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        LocalBlockFile file = LocalBlockFile.open(path(request.options()), request.readOnly(), direct(request));
        return locked(file, request);
    }

    /** Creates the file, or opens it when it exists, locks it as asked, and only then empties it. */
    @Override
    public BlockFile create(ProtocolRequest request) throws IOException {
        Path path = path(request.options());
        boolean existed = java.nio.file.Files.exists(path);
        LocalBlockFile file = existed ? LocalBlockFile.open(path, false) : LocalBlockFile.create(path);
        locked(file, request);
        try {
            if (existed) {
                file.truncate(0);
            }
        } catch (IOException | RuntimeException e) {
            closeAfter(file, e);
            throw e;
        }
        return file;
    }

    static LocalBlockFile locked(LocalBlockFile file, ProtocolRequest request) throws IOException {
        boolean locking = !"off".equals(request.options().get(LOCKING));
        try {
            if (locking) {
                file.lock(request.lock());
            }
        } catch (IOException | RuntimeException e) {
            closeAfter(file, e);
            throw e;
        }
        return file;
    }

    /** @return whether the request asks to bypass the page cache ({@code cache.direct=on}) */
    static boolean direct(ProtocolRequest request) {
        return Boolean.TRUE.equals(request.options().get(DIRECT));
    }

    static Path path(Options options) throws InvalidOptionException {
        String name = options.get(FILENAME);
        if (name == null || name.isEmpty()) {
            throw new InvalidOptionException("The 'file' block driver requires a file name");
        }
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            throw new InvalidOptionException("'" + name + "' is not a file name: " + e.getReason());
        }
    }

    private static void closeAfter(BlockFile file, Throwable failure) {
        try {
            file.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
