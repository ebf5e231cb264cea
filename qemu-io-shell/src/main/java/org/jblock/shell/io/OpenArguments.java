package org.jblock.shell.io;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jblock.api.InvalidOptionException;
import org.jblock.api.Options;
import org.jblock.registry.CacheMode;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.OpenSpec;

/**
 * What an open is asked for, from qemu-io's words: a path, {@code -f}, {@code -r}, {@code -U}, and
 * {@code -o} option strings (or a whole {@code --image-opts} string) with QEMU's keys:
 * {@code read-only} is the shell's; {@code driver} names the format; keys under {@code file.}
 * describe the storage (any protocol); every other key is the format driver's. An open that needs
 * more than a path and format options is named by the {@code json:{...}} filename of its options,
 * as QEMU names such images.
 */
final class OpenArguments {
    private static final List<String> DISCARD_MODES = List.of("ignore", "off", "unmap", "on");
    private static final List<String> AIO_MODES = List.of("threads", "native", "io_uring");

    /**
     * A resolved open: where, and how, and the warnings to show first.
     *
     * @param shownName the name given apart from the options, which qemu-io shows in its messages
     *                  ({@code can't open device NAME: ...}), or null ({@code can't open: ...})
     */
    record Target(String path, OpenSpec spec, List<String> warnings, String shownName) {
    }

    /** An open the shell refuses before trying; the message is the line to print. */
    static final class BadOpenException extends Exception {
        private static final long serialVersionUID = 1L;

        BadOpenException(String message) {
            super(message, null, false, false);
        }
    }

    private OpenArguments() {
    }

    /**
     * @param path        the path given, or null
     * @param format      {@code -f}, or null
     * @param optionTexts each {@code -o} string
     * @param imageOpts   the {@code --image-opts} string, or null
     * @param copyOnRead  {@code -C}: the open option {@code copy-on-read=on}
     * @param cache       the cache mode ({@link #cacheMode})
     */
    static Target resolve(DriverRegistry registry, String path, String format, List<String> optionTexts,
                          String imageOpts, boolean readOnly, boolean forceShare, boolean copyOnRead, CacheMode cache)
            throws BadOpenException {
        Map<String, String> all = new LinkedHashMap<>();
        List<String> warnings = List.of();
        try {
            if (imageOpts != null) {
                ImageOpts.Parsed parsed = ImageOpts.parse(imageOpts);
                all.putAll(parsed.options());
                warnings = parsed.warnings();
            }
            for (String text : optionTexts) {
                all.putAll(Options.split(text));
            }
        } catch (InvalidOptionException e) {
            throw new BadOpenException(e.getMessage());
        }
        boolean ro = readOnly;
        String readOnlyOption = all.remove("read-only");
        if (readOnlyOption != null) {
            ro = isOn(readOnlyOption);
        }
        if (copyOnRead) {
            all.put("copy-on-read", "on");
        }
        String driver = all.containsKey("driver") ? all.remove("driver") : format;
        boolean named = path != null;
        if (named) {
            // A name given apart from the options is the one that counts.
            all.remove("filename");
        }
        // A protocol driver described by its own options (driver=nbd,server.path=...) names no file.
        boolean describedByOptions = imageOpts != null && driver != null && !all.isEmpty();
        if (!describedByOptions
                && all.keySet().stream().noneMatch(k -> k.equals("filename") || k.equals("file") || k.startsWith("file."))) {
            return new Target(path, new OpenSpec(driver, ro, forceShare, Options.join(all)).withCache(cache), warnings,
                    path);
        }
        // The storage is described by options: name the image by its json: filename, as QEMU does.
        Map<String, String> options = new LinkedHashMap<>();
        if (driver != null) {
            options.put("driver", driver);
        }
        try {
            if (named && !all.containsKey("file") && !all.containsKey("file.filename")) {
                // The name is the storage's, with its protocol prefix if any (blkdebug::t.vhd), as QEMU
                // takes it; the file.* options given add to what it stands for.
                for (Map.Entry<String, String> e : registry.storageOptions(path).entrySet()) {
                    options.put("file." + e.getKey(), e.getValue());
                }
            }
            options.putAll(all);
            // The format named in the options is named: no probe, and no probed-raw guard.
            return new Target(ImageOpts.jsonName(options), new OpenSpec(driver, ro, forceShare, "").withCache(cache),
                    warnings, path);
        } catch (IOException e) {
            throw new BadOpenException(e.getMessage());
        }
    }

    /**
     * The cache mode of an open, as qemu-io takes it: {@code -t MODE} (qemu-img's modes, one parser:
     * {@link CacheMode#parse}), else {@code -n} ({@code none}: the host's page cache bypassed), else
     * qemu-io's default, {@code writethrough} (a flush after each write).
     *
     * @throws BadOpenException {@code Invalid cache option: MODE} when it is not one of QEMU's
     */
    static CacheMode cacheMode(String mode, boolean noCache) throws BadOpenException {
        if (mode == null) {
            return noCache ? CacheMode.NONE : CacheMode.WRITETHROUGH;
        }
        try {
            return CacheMode.parse(mode);
        } catch (InvalidOptionException e) {
            throw new BadOpenException(e.getMessage());
        }
    }

    /** @throws BadOpenException naming the discard mode when it is not one of QEMU's */
    static void checkDiscardMode(String mode) throws BadOpenException {
        if (mode != null && !DISCARD_MODES.contains(mode)) {
            throw new BadOpenException("Invalid discard option: " + mode);
        }
    }

    /** @throws BadOpenException naming the AIO mode when it is not one of QEMU's */
    static void checkAioMode(String mode) throws BadOpenException {
        if (mode != null && !AIO_MODES.contains(mode)) {
            throw new BadOpenException("Invalid aio option: " + mode);
        }
    }

    private static boolean isOn(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            default -> false;
        };
    }
}
