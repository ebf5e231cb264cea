package org.jblock.shell.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jblock.registry.OpenSpec;

/**
 * What an open is asked for, from qemu-io's words: a path, {@code -f}, {@code -r}, {@code -U}, and
 * {@code -o} option strings (or a whole {@code --image-opts} string) in which {@code driver},
 * {@code file.filename} and {@code read-only} are the shell's and every other key is the driver's.
 */
final class OpenArguments {
    private static final List<String> CACHE_MODES = List.of("none", "off", "writeback", "writethrough",
            "directsync", "unsafe");
    private static final List<String> DISCARD_MODES = List.of("ignore", "off", "unmap", "on");
    private static final List<String> AIO_MODES = List.of("threads", "native", "io_uring");

    /** A resolved open: where, and how. */
    record Target(String path, OpenSpec spec) {
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
     * @param optionTexts each {@code -o} string, or the {@code --image-opts} string
     */
    static Target resolve(String path, String format, List<String> optionTexts, boolean readOnly, boolean forceShare)
            throws BadOpenException {
        String driver = format;
        String file = path;
        boolean ro = readOnly;
        List<String> driverOptions = new ArrayList<>();
        for (String text : optionTexts) {
            for (String item : items(text)) {
                int eq = item.indexOf('=');
                String key = eq < 0 ? item : item.substring(0, eq);
                String value = eq < 0 ? "on" : item.substring(eq + 1);
                switch (key) {
                    case "driver" -> driver = value;
                    case "file.filename", "filename" -> file = file == null ? value : file;
                    case "file.driver" -> {
                        if (!value.equals("file")) {
                            throw new BadOpenException("Unknown protocol '" + value + "'");
                        }
                    }
                    case "read-only" -> ro = isOn(value);
                    default -> driverOptions.add(item.replace(",", ",,"));
                }
            }
        }
        return new Target(file, new OpenSpec(driver, ro, forceShare, String.join(",", driverOptions)));
    }

    /** @throws BadOpenException naming the cache mode when it is not one of QEMU's */
    static void checkCacheMode(String mode) throws BadOpenException {
        if (mode != null && !CACHE_MODES.contains(mode)) {
            throw new BadOpenException("Invalid cache option: " + mode);
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

    /** Splits {@code a=b,c=d} on single commas; {@code ,,} stands for a comma inside a value. */
    private static List<String> items(String text) {
        List<String> items = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' && i + 1 < text.length() && text.charAt(i + 1) == ',') {
                current.append(',');
                i++;
            } else if (c == ',') {
                items.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        items.add(current.toString());
        items.removeIf(String::isEmpty);
        return items;
    }
}
