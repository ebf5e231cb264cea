package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.Sizes;
import org.jblock.registry.DriverInfo;
import org.jblock.registry.DriverRegistry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code create [-f fmt] [-b backing_file [-F backing_fmt]] [-o options] [-q] filename [size]}: prints
 * qemu-img's {@code Formatting} line, and, on a terminal, a note when the format rounded the size. With a backing
 * file the size defaults to the backing image's.
 */
@Command(name = "create", description = "Creates a new, empty image.")
final class CreateCommand extends ImgCommand {
    /** qemu-img also takes the size as {@code -o size=...}. */
    private static final OptionSpec<Long> SIZE = OptionSpec.size("size", null, "Virtual disk size");

    @Option(names = "-f", paramLabel = "fmt", defaultValue = "raw", description = "Format (default raw).")
    String format;

    @Option(names = "-o", paramLabel = "options", description = "Format options as key=value,...; 'help' lists them.")
    String options;

    @Option(names = "-b", paramLabel = "backing_file",
            description = "Backing file of the new image (relative names are relative to the new image).")
    String backingFile;

    @Option(names = "-F", paramLabel = "backing_fmt", description = "Format of the backing file (probed when absent).")
    String backingFormat;

    @Option(names = "-u", description = "Accepted for compatibility: the backing file must exist.")
    boolean unsafe;

    @Option(names = "-q", description = "Quiet: print nothing on success.")
    boolean quiet;

    @Parameters(index = "0", arity = "0..1", paramLabel = "filename")
    String filename;

    @Parameters(index = "1", arity = "0..1", paramLabel = "size", description = "Size in bytes, or with a k, M, G, T, P or E suffix.")
    String size;

    @Override
    public Integer call() throws IOException {
        DriverInfo driver = registry().describe(format);
        if ("help".equals(options) || "?".equals(options)) {
            printOptionHelp(out(), driver);
            return 0;
        }
        if (filename == null) {
            throw new BlockException("Expecting image file name");
        }
        List<OptionSpec<?>> specs = new ArrayList<>(driver.createOptions());
        specs.add(SIZE);
        Options parsed = Options.parse(options, specs);
        long bytes;
        if (size != null) {
            bytes = parseSize(size);
        } else if (parsed.isSet(SIZE)) {
            bytes = parsed.get(SIZE);
        } else if (backingFile != null) {
            bytes = -1;
        } else {
            throw new BlockException(filename + ": Image creation needs a size parameter");
        }
        boolean remote = registry().isProtocolFilename(filename);
        if (remote && backingFile != null) {
            throw new BlockException(filename + ": a backing file can only be given to an image in a local file");
        }
        Path path = remote ? null : Path.of(filename);
        if (!remote) {
            refuseIfInUse(registry(), path);
        }
        if (backingFile != null && !driver.supportsBacking()) {
            throw new BlockException(filename + ": Backing file not supported for file format '" + format + "'");
        }
        if (backingFile != null && bytes < 0) {
            bytes = backingSize(path);
        }
        if (!quiet) {
            String backing = backingFile == null ? ""
                    : " backing_file=" + backingFile + (backingFormat == null ? "" : " backing_fmt=" + backingFormat);
            out().println("Formatting '" + filename + "', fmt=" + format + " size=" + bytes + backing
                    + describe(parsed, driver));
            out().flush();
        }
        if (remote) {
            registry().create(filename, format, bytes, withoutSize(parsed, driver));
            return 0;
        }
        registry().create(path, format, bytes, withoutSize(parsed, driver), backingFile, backingFormat);
        noteRounding(path, bytes);
        return 0;
    }

    /** The backing image's size, as qemu-img reads it before it prints its Formatting line. */
    private long backingSize(Path path) throws IOException {
        Path backing = Path.of(backingFile);
        Path resolved = backing.isAbsolute() || path.getParent() == null ? backing : path.getParent().resolve(backing);
        try (BlockImage image = registry().open(resolved, new org.jblock.registry.OpenSpec(backingFormat, true, false, ""))) {
            return image.size();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BlockException(filename + ": Could not open '" + resolved + "': No such file or directory", e);
        }
    }

    /** A size argument: bytes, or with a binary suffix; never negative. */
    static long parseSize(String text) throws InvalidOptionException {
        try {
            return Sizes.parse(text);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid image size specified: '" + text
                    + "' (use a number of bytes, or one with a k, M, G, T, P or E suffix)");
        }
    }

    /**
     * The driver's options as {@code key=value,...} for the registry: {@code -o size=} is qemu-img's
     * other way to give the size, not a driver option. Commas in values are doubled, as in {@code -o}.
     */
    private static String withoutSize(Options parsed, DriverInfo driver) {
        List<String> items = new ArrayList<>();
        for (OptionSpec<?> spec : driver.createOptions()) {
            if (parsed.isSet(spec)) {
                items.add(spec.name() + "=" + text(parsed.get(spec)).replace(",", ",,"));
            }
        }
        return String.join(",", items);
    }

    private static String text(Object value) {
        return value instanceof Boolean ? ((Boolean) value ? "on" : "off") : String.valueOf(value);
    }

    /** The options given, in the driver's order, as qemu-img prints them after the size. */
    private static String describe(Options parsed, DriverInfo driver) {
        StringBuilder text = new StringBuilder();
        for (OptionSpec<?> spec : driver.createOptions()) {
            if (parsed.isSet(spec)) {
                text.append(' ').append(spec.name()).append('=').append(text(parsed.get(spec)));
            }
        }
        return text.toString();
    }

    private void noteRounding(Path path, long requested) throws IOException {
        try (BlockImage image = registry().open(path, new org.jblock.registry.OpenSpec(format, true, false, ""))) {
            long actual = image.size();
            if (actual != requested && !quiet) {
                noteOnTerminal("the " + format + " format rounded the virtual size up to " + actual
                        + " bytes (" + Sizes.human(actual) + ")");
            }
        } catch (IOException e) {
            // Created, but not readable back: say so rather than hide it.
            throw new BlockException(path + ": created, but it does not open: " + Messages.describe(e), e);
        }
    }

    /**
     * Refuses to replace a file that another open holds: creating truncates before it can lock.
     *
     * @throws org.jblock.api.ImageLockedException when the file is in use
     */
    static void refuseIfInUse(DriverRegistry registry, Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            return;
        }
        Map<String, String> file = new LinkedHashMap<>();
        file.put("driver", "file");
        file.put("filename", path.toString());
        registry.openFile(file, false, BlockFile.LockMode.EXCLUSIVE).close();
    }

    /** Lists the create options of {@code driver}, as qemu-img's {@code -o help} does. */
    static void printOptionHelp(PrintWriter out, DriverInfo driver) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {SIZE.name() + "=" + typeLabel(SIZE), SIZE.help()});
        for (OptionSpec<?> spec : driver.createOptions()) {
            String help = spec.help();
            if (spec.defaultValue() != null) {
                help += " (default: " + text(spec.defaultValue()) + ")";
            }
            rows.add(new String[] {spec.name() + "=" + typeLabel(spec), help});
        }
        rows.sort(Comparator.comparing(row -> row[0]));
        out.println("Supported " + driver.name() + " options:");
        for (String[] row : rows) {
            out.println(String.format("  %-22s - %s", row[0], row[1]));
        }
        out.flush();
    }

    private static String typeLabel(OptionSpec<?> spec) {
        switch (spec.type()) {
            case SIZE:
                return "<size>";
            case BOOLEAN:
                return "<bool (on/off)>";
            case INTEGER:
                return "<num>";
            case ENUM:
                return "<" + String.join("|", spec.choices()) + ">";
            default:
                return "<str>";
        }
    }
}
