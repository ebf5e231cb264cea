package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.UserObjects;
import org.jblock.api.ThrottleGroup;
import org.jblock.registry.DriverInfo;
import org.jblock.registry.ChainMode;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.CacheMode;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.OpenFailure;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What every subcommand shares: the writers, the registry, opening images with qemu-img's error
 * wording, and the exit code for a failure.
 */
abstract class ImgCommand implements Callable<Integer> {
    /**
     * The tool and this command's own {@link CommandLine}, handed over by the tool when it adds the
     * command ({@link #attach}) rather than injected by picocli's {@code @ParentCommand} and
     * {@code @Spec}: each annotation type picocli meets costs a start a proxy class of its own.
     */
    private JblockImg tool;
    private CommandLine commandLine;

    @Option(names = "--image-opts", description = "The image names are option strings"
            + " (driver=vpc,file.driver=file,file.filename=disk.vhd), not file names.")
    boolean imageOpts;

    @Option(names = "--object", paramLabel = "OBJECT", description = "Create an object images can name, as"
            + " qemu-img's --object: throttle-group,id=ID,limits.iops-total=N,limits.bps-read=N,...")
    java.util.List<String> objects = new java.util.ArrayList<>();

    private DriverRegistry withObjects;

    /** @return the exit code when the command fails with an error (qemu-img uses 1 for most) */
    int errorExitCode() {
        return 1;
    }

    /** Called once by the tool, when it adds this command as {@code commandLine}. */
    final void attach(JblockImg tool, CommandLine commandLine) {
        this.tool = tool;
        this.commandLine = commandLine;
    }

    final PrintWriter out() {
        return commandLine.getOut();
    }

    final PrintWriter err() {
        return commandLine.getErr();
    }

    /**
     * @return the tool's registry, with this command's {@code --object}s
     * @throws org.jblock.api.InvalidOptionException when an object is not one QEMU would create
     */
    final DriverRegistry registry() throws org.jblock.api.InvalidOptionException {
        if (withObjects == null) {
            withObjects = objects.isEmpty() ? tool.registry()
                    : tool.registry().withObjects(UserObjects.parse(objects, ThrottleGroup.Ticker.SYSTEM));
        }
        return withObjects;
    }

    /**
     * Tells a person at a terminal something qemu-img would not print (that a format rounded a
     * size): on stderr, and only on a terminal, so that scripts written for qemu-img, and qemu's
     * own test suite, see qemu-img's output unchanged.
     */
    final void noteOnTerminal(String note) {
        if (tool.isTerminal()) {
            err().println("Note: " + note);
            err().flush();
        }
    }

    /** @return a progress display on the terminal when {@code wanted}, else one that shows nothing */
    final Progress progress(boolean wanted) {
        return wanted && tool.isTerminal() ? Progress.onTerminal() : Progress.NONE;
    }

    /**
     * For {@code -p}: a bar on a terminal, qemu-img's progress lines (every {@code stepPercent})
     * on any other output.
     */
    final Progress progress(boolean wanted, double stepPercent) {
        if (!wanted) {
            return Progress.NONE;
        }
        return tool.isTerminal() ? Progress.onTerminal() : Progress.lines(out(), stepPercent);
    }

    /**
     * @return {@code option=on} when the driver of {@code file} (named by {@code format}, or probed)
     *         has the open option {@code option}, else no option; the open that follows reports why
     *         a file cannot be opened
     */
    final String switchIfSupported(String file, String format, String option) {
        try {
            DriverInfo driver = format != null ? registry().describe(format) : registry().probe(file);
            boolean has = driver.openOptions().stream().anyMatch(o -> o.name().equals(option));
            return has ? option + "=on" : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** @throws InvalidOptionException qemu-img's {@code Invalid source cache option: MODE} for a {@code -T} it does not know */
    static CacheMode sourceCacheMode(String mode) throws InvalidOptionException {
        try {
            return CacheMode.parse(mode);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid source cache option: " + mode);
        }
    }

    /**
     * Opens the image at {@code file} through the registry.
     *
     * @param format the format, or null to probe
     * @throws BlockException {@code Could not open 'file': reason}
     */
    final BlockImage open(String file, String format, boolean readOnly, boolean forceShare) throws BlockException {
        return open(file, format, readOnly, forceShare, "");
    }

    /**
     * As {@link #open(String, String, boolean, boolean)}, with driver open options {@code key=value,...}.
     * With {@code --image-opts}, {@code file} is an option string.
     */
    final BlockImage open(String file, String format, boolean readOnly, boolean forceShare, String driverOptions)
            throws BlockException {
        return open(file, imageOpts, format, readOnly, forceShare, driverOptions, ChainMode.READ_ONLY_BACKING,
                CacheMode.WRITEBACK);
    }

    /** As {@link #open(String, String, boolean, boolean, String)}, with the backing chain opened as {@code chain} says. */
    final BlockImage open(String file, String format, boolean readOnly, boolean forceShare, String driverOptions,
                          ChainMode chain) throws BlockException {
        return open(file, imageOpts, format, readOnly, forceShare, driverOptions, chain, CacheMode.WRITEBACK);
    }

    /** As {@link #open(String, String, boolean, boolean, String, ChainMode)}, in cache mode {@code cache} ({@code -t}). */
    final BlockImage open(String file, String format, boolean readOnly, boolean forceShare, String driverOptions,
                          ChainMode chain, CacheMode cache) throws BlockException {
        return open(file, imageOpts, format, readOnly, forceShare, driverOptions, chain, cache);
    }

    /**
     * Opens the image a user named: a filename (a path, {@code PROTOCOL:...}, {@code json:{...}}) or,
     * when {@code options}, a QEMU option string ({@code driver=vpc,file.filename=disk.vhd}).
     */
    final BlockImage open(String file, boolean options, String format, boolean readOnly, boolean forceShare,
                          String driverOptions) throws BlockException {
        return open(file, options, format, readOnly, forceShare, driverOptions, ChainMode.READ_ONLY_BACKING,
                CacheMode.WRITEBACK);
    }

    /** As {@link #open(String, boolean, String, boolean, boolean, String)}, in cache mode {@code cache}. */
    final BlockImage open(String file, boolean options, String format, boolean readOnly, boolean forceShare,
                          String driverOptions, CacheMode cache) throws BlockException {
        return open(file, options, format, readOnly, forceShare, driverOptions, ChainMode.READ_ONLY_BACKING, cache);
    }

    private BlockImage open(String file, boolean options, String format, boolean readOnly, boolean forceShare,
                            String driverOptions, ChainMode chain, CacheMode cache) throws BlockException {
        if (options && format != null) {
            throw new BlockException("--image-opts and --format are mutually exclusive");
        }
        try {
            OpenSpec spec = new OpenSpec(format, readOnly, forceShare && readOnly, driverOptions).withCache(cache);
            if (!options) {
                return registry().open(file, spec, chain);
            }
            ImageOpts.Parsed parsed = ImageOpts.parse(file);
            for (String warning : parsed.warnings()) {
                err().println(JblockImg.TOOL + ": warning: " + warning);
            }
            return registry().open(parsed.options(), spec);
        } catch (IOException | RuntimeException e) {
            String reason = OpenFailure.reason(file, e);
            throw new BlockException("Could not open '" + file + "': " + (reason != null ? reason : Messages.describe(e)), e);
        }
    }
}
