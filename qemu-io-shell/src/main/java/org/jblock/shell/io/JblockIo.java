package org.jblock.shell.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.jblock.registry.DriverRegistry;

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
@Command(name = "jblock-io")
public final class JblockIo {
    static final String USAGE = "Usage: " + IoShell.PROGRAM + " [OPTIONS]... [-c STRING]... [file]";

    @Option(names = {"-c", "--cmd"}) List<String> commands = new ArrayList<>();
    @Option(names = {"-f", "--format"}) String format;
    @Option(names = "--image-opts") boolean imageOpts;
    @Option(names = {"-o", "--options"}) List<String> options = new ArrayList<>();
    @Option(names = {"-r", "--read-only"}) boolean readOnly;
    @Option(names = {"-s", "--snapshot"}) boolean snapshot;
    @Option(names = {"-n", "--nocache"}) boolean noCache;
    @Option(names = {"-C", "--copy-on-read"}) boolean copyOnRead;
    @Option(names = {"-m", "--misalign"}) boolean misalign;
    @Option(names = {"-k", "--native-aio"}) boolean nativeAio;
    @Option(names = {"-i", "--aio"}) String aioMode;
    @Option(names = {"-t", "--cache"}) String cacheMode;
    @Option(names = {"-d", "--discard"}) String discardMode;
    @Option(names = {"-T", "--trace"}) String trace;
    @Option(names = "--object") List<String> objects = new ArrayList<>();
    @Option(names = {"-U", "--force-share"}) boolean forceShare;
    @Option(names = {"-h", "--help"}) boolean help;
    @Option(names = {"-V", "--version"}) boolean version;
    @Parameters(arity = "0..*") List<String> files = new ArrayList<>();

    private JblockIo() {
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
            out.print(IoShell.PROGRAM + " version " + version() + "\n");
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
        try (IoShell shell = new IoShell(DriverRegistry.load(), out, err)) {
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
            OpenArguments.checkCacheMode(cacheMode);
            OpenArguments.checkDiscardMode(discardMode);
            OpenArguments.checkAioMode(aioMode);
        } catch (OpenArguments.BadOpenException e) {
            return e.getMessage();
        }
        if (trace != null) {
            return "tracing (-T) is not supported";
        }
        if (!objects.isEmpty()) {
            return "--object is not supported";
        }
        return null;
    }

    private boolean openImage(IoShell shell, PrintStream err) {
        String file = files.get(0);
        try {
            List<String> optionTexts = new ArrayList<>(options);
            if (imageOpts) {
                optionTexts.add(0, file);
            }
            OpenArguments.Target target = OpenArguments.resolve(imageOpts ? null : file, format, optionTexts,
                    readOnly, forceShare);
            if (target.path() == null) {
                err.print(IoShell.PROGRAM + ": can't open: A block device must be specified\n");
                return false;
            }
            return shell.open(target.path(), target.spec(), snapshot);
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
                + "  -n, --nocache        accepted for qemu-io compatibility, short for -t none\n"
                + "  -t, --cache=MODE     accepted for compatibility: none, writeback, writethrough, directsync, unsafe\n"
                + "  -d, --discard=MODE   accepted for compatibility: ignore, unmap\n"
                + "  -i, --aio=MODE       accepted for compatibility: threads, native, io_uring\n"
                + "  -C, -m, -k           accepted for compatibility, no effect\n"
                + "  -h, --help           print this help and exit\n"
                + "  -V, --version        print the version and exit\n"
                + "\n"
                + "Without -c, commands are read from stdin. On a terminal with no image named, a fresh\n"
                + "64 MiB in-memory VHD is opened. See '" + IoShell.PROGRAM + " -c help' for the commands.\n";
    }

    private static String version() {
        try (InputStream in = JblockIo.class.getResourceAsStream(
                "/META-INF/maven/org.jblock/qemu-io-shell/pom.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "(development build)");
            }
        } catch (IOException e) {
            // An unreadable version is no reason to fail -V.
        }
        return "(development build)";
    }

    static Path historyFile() {
        return Path.of(System.getProperty("user.home"), ".jblock_io_history");
    }
}
