package org.jblock.shell.io;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jblock.api.InvalidOptionException;
import org.jblock.api.UserObjects;
import org.jblock.api.ThrottleGroup;
import org.jblock.registry.DriverRegistry;
import org.jblock.shell.ToolDrivers;
import org.jblock.shell.ToolLogging;
import org.jblock.shell.Version;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jblock-io}: a qemu-io-compatible shell on any image a registered driver can open.
 *
 * <pre>jblock-io [-f fmt] [-r] [-U] [-n] [-t cache] [-o key=value,...] [--image-opts] [-c command]... [image]</pre>
 *
 * <p>With {@code -c} the commands run in order and the program exits without reading stdin;
 * otherwise commands come from stdin (a prompt before each line, as qemu-io prints it), or from a
 * line editor when stdin is a terminal. The exit status is 1 when any command failed.
 */
@Command(name = "jblock-io",
        description = "A shell for disk images that speaks qemu-io's commands, through jblock's drivers.")
public final class JblockIo {
    static final String USAGE = "Usage: " + IoShell.PROGRAM + " [OPTIONS]... [-c STRING]... [file]";

    @Option(names = {"-c", "--cmd"}, paramLabel = "STRING",
            description = "Run STRING as a command; repeat for more; stdin is not read.")
    List<String> commands = new ArrayList<>();
    @Option(names = {"-f", "--format"}, paramLabel = "FMT",
            description = "Open the image with driver FMT instead of probing.")
    String format;
    @Option(names = "--image-opts",
            description = "The file argument is an option string (driver=...,file.filename=...).")
    boolean imageOpts;
    @Option(names = {"-o", "--options"}, paramLabel = "OPTS",
            description = "Driver options as key=value,... (driver= picks the format).")
    List<String> options = new ArrayList<>();
    @Option(names = {"-r", "--read-only"}, description = "Open read-only (a shared lock).")
    boolean readOnly;
    @Option(names = {"-s", "--snapshot"}, description = "Keep writes in memory, leave the image unchanged.")
    boolean snapshot;
    @Option(names = {"-n", "--nocache"}, description = "Bypass the host's page cache (O_DIRECT): short for -t none.")
    boolean noCache;
    @Option(names = {"-C", "--copy-on-read"}, description = "Copy what reads find in backing images into the image.")
    boolean copyOnRead;
    @Option(names = {"-m", "--misalign"}, description = "Accepted for compatibility, no effect.")
    boolean misalign;
    @Option(names = {"-k", "--native-aio"}, description = "Accepted for compatibility, no effect.")
    boolean nativeAio;
    @Option(names = {"-i", "--aio"}, paramLabel = "MODE",
            description = "Accepted for compatibility: threads, native, io_uring.")
    String aioMode;
    @Option(names = {"-t", "--cache"}, paramLabel = "MODE",
            description = "Cache mode: writethrough (the default), writeback, none, directsync, unsafe.")
    String cacheMode;
    @Option(names = {"-d", "--discard"}, paramLabel = "MODE",
            description = "Accepted for compatibility: ignore, unmap.")
    String discardMode;
    @Option(names = {"-T", "--trace"}, paramLabel = "EVENTS", description = "Refused: tracing is not supported.")
    String trace;
    @Option(names = "--object", paramLabel = "OBJECT",
            description = "Create an object images can name (throttle-group,id=ID,limits.iops-total=N,...).")
    List<String> objects = new ArrayList<>();
    @Option(names = {"-U", "--force-share"}, description = "Take no lock (read-only opens only).")
    boolean forceShare;
    @Option(names = {"-h", "--help"}, description = "Print the help and exit.")
    boolean help;
    @Option(names = {"-V", "--version"}, description = "Print the version and exit.")
    boolean version;
    @Option(names = {"-q", "--quiet"}, description = "Print errors only, no warnings.")
    boolean quiet;
    @Option(names = {"-v", "--verbose"}, description = "Print more: information; twice, debugging.")
    boolean[] verbose;
    @Parameters(arity = "0..*", paramLabel = "file", description = "The image to open.")
    List<String> files = new ArrayList<>();

    private JblockIo() {
    }

    /** The command line as picocli models it, which the man page and shell completion describe. */
    public static CommandLine model() {
        return IoShell.parser(new JblockIo());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, System.console() != null));
    }

    /**
     * Runs jblock-io as {@code main} does, on the given streams.
     *
     * @param interactive whether stdin and stdout are a terminal (a line editor, and a demo image
     *                    when none is named)
     * @return the exit status
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean interactive) {
        JblockIo cli = new JblockIo();
        CommandLine parser = IoShell.parser(cli);
        try {
            parser.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.print(IoShell.PROGRAM + ": " + GetoptMessages.describe(parser.getCommandSpec(), List.of(args), true) + "\n");
            out.print(helpText());
            return 1;
        }
        return cli.execute(in, out, err, interactive);
    }

    private int execute(InputStream in, PrintStream out, PrintStream err, boolean interactive) {
        if (help) {
            out.print(helpText());
            return 0;
        }
        if (version) {
            out.print(Version.line(IoShell.PROGRAM) + "\n");
            return 0;
        }
        if (files.size() > 1) {
            out.print(helpText());
            return 1;
        }
        String refusal = refusal();
        if (refusal != null) {
            err.print(IoShell.PROGRAM + ": " + refusal + "\n");
            return 1;
        }
        ToolLogging.apply(quiet, verbose == null ? 0 : verbose.length);
        Optional<DriverRegistry> registry = ToolDrivers.load(IoShell.PROGRAM, line -> err.print(line + "\n"));
        if (registry.isEmpty()) {
            return 1;
        }
        UserObjects created;
        try {
            created = UserObjects.parse(objects, ThrottleGroup.Ticker.SYSTEM);
        } catch (InvalidOptionException e) {
            err.print(IoShell.PROGRAM + ": " + e.getMessage() + "\n");
            return 1;
        }
        try (IoShell shell = new IoShell(registry.get().withObjects(created), out, err)) {
            if (!files.isEmpty() && !openImage(shell, err)) {
                return 1;
            }
            if (!commands.isEmpty()) {
                for (String command : commands) {
                    shell.dispatch(command);
                    if (shell.quitRequested()) {
                        break;
                    }
                }
            } else if (interactive) {
                if (files.isEmpty()) {
                    shell.openDemoImage();
                }
                InteractiveLoop.runOnSystemTerminal(shell, err);
            } else {
                PipedLoop.run(shell, in);
            }
            shell.close();
            return shell.anyCommandFailed() ? 1 : 0;
        }
    }

    /** @return why the command line cannot be served, or null */
    private String refusal() {
        if (format != null && imageOpts) {
            return "--image-opts and -f are mutually exclusive";
        }
        try {
            OpenArguments.cacheMode(cacheMode, noCache);
            OpenArguments.checkDiscardMode(discardMode);
            OpenArguments.checkAioMode(aioMode);
        } catch (OpenArguments.BadOpenException e) {
            return e.getMessage();
        }
        if (trace != null) {
            return "tracing (-T) is not supported";
        }
        return null;
    }

    private boolean openImage(IoShell shell, PrintStream err) {
        String file = files.get(0);
        try {
            OpenArguments.Target target = OpenArguments.resolve(shell.registry(), imageOpts ? null : file, format, options,
                    imageOpts ? file : null, readOnly, forceShare, copyOnRead, OpenArguments.cacheMode(cacheMode, noCache));
            for (String warning : target.warnings()) {
                err.print(IoShell.PROGRAM + ": warning: " + warning + "\n");
            }
            if (target.path() == null) {
                err.print(IoShell.PROGRAM + ": can't open: A block device must be specified\n");
                return false;
            }
            return shell.open(target.path(), target.spec(), snapshot, target.shownName());
        } catch (OpenArguments.BadOpenException e) {
            err.print(IoShell.PROGRAM + ": " + e.getMessage() + "\n");
            return false;
        }
    }

    static String helpText() {
        return USAGE + "\n"
                + "A shell for disk images that speaks qemu-io's commands, through jblock's drivers.\n"
                + "\n"
                + "  -c, --cmd STRING     run STRING as a command; repeat for more; stdin is not read\n"
                + "  -f, --format FMT     open the image with driver FMT instead of probing\n"
                + "  --image-opts         the file argument is an option string (driver=...,file.filename=...)\n"
                + "  -o, --options OPTS   driver options as key=value,... (driver= picks the format)\n"
                + "  -r, --read-only      open read-only (a shared lock)\n"
                + "  -U, --force-share    take no lock (read-only opens only)\n"
                + "  -s, --snapshot       keep writes in memory, leave the image unchanged\n"
                + "  -n, --nocache        bypass the host's page cache (O_DIRECT): short for -t none\n"
                + "  -t, --cache=MODE     cache mode: writethrough (the default: a flush after each write),\n"
                + "                       writeback, none and directsync (O_DIRECT), unsafe (flushes do nothing)\n"
                + "  -d, --discard=MODE   accepted for compatibility: ignore, unmap\n"
                + "  -i, --aio=MODE       accepted for compatibility: threads, native, io_uring\n"
                + "  -C, --copy-on-read   copy what reads find in backing images into the image\n"
                + "  --object OBJECT      create an object, e.g. throttle-group,id=ID,limits.iops-total=N\n"
                + "  -m, -k               accepted for compatibility, no effect\n"
                + "  -q, --quiet          print errors only, no warnings\n"
                + "  -v, --verbose        print more: information; twice, debugging\n"
                + "  -h, --help           print this help and exit\n"
                + "  -V, --version        print the version and exit\n"
                + "\n"
                + "Without -c, commands are read from stdin. On a terminal with no image named, a fresh\n"
                + "64 MiB in-memory VHD is opened. See '" + IoShell.PROGRAM + " -c help' for the commands.\n";
    }

    static Path historyFile() {
        return Path.of(System.getProperty("user.home"), ".jblock_io_history");
    }
}
