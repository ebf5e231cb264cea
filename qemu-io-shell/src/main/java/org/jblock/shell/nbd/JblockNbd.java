package org.jblock.shell.nbd;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.layer.UnmapPolicy;
import org.jblock.nbd.NbdExport;
import org.jblock.nbd.NbdExportInfo;
import org.jblock.nbd.NbdServer;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.ProgramName;
import org.jblock.shell.ToolLogging;
import org.jblock.shell.ToolDrivers;
import org.jblock.shell.Version;
import org.jblock.shell.img.Messages;
import org.jblock.shell.io.QemuNumbers;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jblock-nbd}: serves one image over NBD with qemu-nbd's command line, defaults and
 * messages: port 10809 on every interface, one client at a time unless {@code -e}, and an end after
 * the last client unless {@code -t}. A thin shell over {@link NbdServer}.
 */
@Command(name = "jblock-nbd", mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = "Serves a disk image over the Network Block Device protocol (qemu-nbd style).")
public final class JblockNbd implements Callable<Integer> {
    static final String TOOL = "jblock-nbd";
    /** Set in the environment of the server that {@code --fork} starts. */
    static final String FORKED = "JBLOCK_NBD_FORKED";

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "The image to serve.")
    List<String> files = new ArrayList<>();

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", description = "Image format (probed when absent).")
    String format;

    @Option(names = "--image-opts",
            description = "FILE is an option string (driver=vpc,file.driver=file,file.filename=disk.vhd).")
    boolean imageOpts;

    @Option(names = {"-r", "--read-only"}, description = "Export read-only.")
    boolean readOnly;

    @Option(names = {"-x", "--export-name"}, paramLabel = "NAME", description = "Export name (default: empty).")
    String exportName = "";

    @Option(names = {"-D", "--description"}, paramLabel = "TEXT", description = "Export description.")
    String description;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "TCP port (default 10809).")
    String port;

    @Option(names = {"-b", "--bind"}, paramLabel = "IFACE", description = "Interface to listen on (default 0.0.0.0).")
    String bind;

    @Option(names = {"-k", "--socket"}, paramLabel = "PATH", description = "Listen on this Unix socket (absolute path).")
    String socket;

    @Option(names = {"-e", "--shared"}, paramLabel = "NUM", description = "Clients at once (default 1; 0: no limit).")
    String shared = "1";

    @Option(names = {"-t", "--persistent"}, description = "Keep serving after the last client leaves.")
    boolean persistent;

    @Option(names = "--fork", description = "Run in the background once listening.")
    boolean fork;

    @Option(names = "--pid-file", paramLabel = "PATH", description = "Write the server's process id here.")
    Path pidFile;

    /**
     * qemu-nbd's offset into the image (a number, C style: decimal, 0x hex or 0 octal), or, where it
     * holds a {@code =}, jblock's open options ({@code key=value,...}).
     */
    @Option(names = {"-o", "--offset"}, paramLabel = "OFFSET|key=value,...",
            description = "Offset into the image (bytes), or image open options (key=value,...).")
    String offsetOrOptions;

    @Option(names = {"-n", "--nocache"}, description = "Bypass the host's page cache (O_DIRECT): --cache=none.")
    boolean noCache;

    @Option(names = "--cache", paramLabel = "MODE",
            description = "Cache mode: writeback (the default), writethrough, none, directsync, unsafe.")
    String cacheMode;

    @Option(names = "--discard", paramLabel = "DISCARD",
            description = "What a client's discard (trim) does: ignore (the default; the data stays) or unmap (freed).")
    String discardMode;

    @Option(names = "--detect-zeroes", paramLabel = "DETECT_ZEROES",
            description = "Writes of zeros: off (the default), on (written as zero writes), unmap (freed; needs"
                    + " --discard=unmap).")
    String detectZeroesMode;

    @Option(names = {"-L", "--list"}, description = "List the exports of the server at -k or -b/-p, as a client.")
    boolean list;

    /** qemu-nbd's verbose switch: more log lines (a plain server still prints nothing at -v). */
    @Option(names = {"-v", "--verbose"}, description = "Print more: information; twice, debugging (clients leaving).")
    boolean[] verbose;

    @Spec
    CommandSpec spec;

    private final DriverRegistry registry;
    private PrintWriter err;
    private UnmapPolicy.Discard discard;
    private UnmapPolicy.DetectZeroes detectZeroes;

    JblockNbd(DriverRegistry registry) {
        this.registry = registry;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, Charset.defaultCharset()), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        Optional<DriverRegistry> registry = ToolDrivers.load(program(), err::println);
        int status = registry.isEmpty() ? 1 : commandLine(registry.get(), out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** The command line as picocli models it, which the man page and shell completion describe. */
    public static CommandLine model(DriverRegistry registry) {
        PrintWriter none = new PrintWriter(java.io.Writer.nullWriter());
        return commandLine(registry, none, none);
    }

    static CommandLine commandLine(DriverRegistry registry, PrintWriter out, PrintWriter err) {
        JblockNbd tool = new JblockNbd(registry);
        tool.err = err;
        CommandLine cmd = new CommandLine(tool);
        cmd.getCommandSpec().version(Version.line(program()));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setParameterExceptionHandler((ex, args) -> {
            err.println(program() + ": " + ex.getMessage());
            err.println("Try `" + program() + " --help' for more information.");
            return 1;
        });
        cmd.setExecutionExceptionHandler((ex, command, parsed) -> {
            err.println(program() + ": " + Messages.describe(ex));
            return 1;
        });
        return cmd;
    }

    @Override
    public Integer call() throws Exception {
        ToolLogging.apply(false, verbose == null ? 0 : verbose.length);
        if (list && !files.isEmpty()) {
            return usage("List mode is incompatible with a file name");
        }
        if (!list && files.size() != 1) {
            return usage("Invalid number of arguments");
        }
        if (imageOpts && format != null) {
            return fail("--image-opts and -f are mutually exclusive");
        }
        if (noCache && cacheMode != null) {
            return fail("-n and --cache can only be specified once");
        }
        CacheMode cache;
        try {
            cache = noCache ? CacheMode.NONE : cacheMode == null ? CacheMode.WRITEBACK : CacheMode.parse(cacheMode);
        } catch (InvalidOptionException e) {
            return fail("Invalid cache mode `" + cacheMode + "'");
        }
        // qemu-nbd's defaults, not those of jblock's other tools: discards and unmapping zero writes
        // keep the storage.
        discard = discardMode == null ? UnmapPolicy.Discard.IGNORE : UnmapPolicy.Discard.parse(discardMode);
        if (discard == null) {
            return fail("Invalid discard mode `" + discardMode + "'");
        }
        detectZeroes = detectZeroesMode == null ? UnmapPolicy.DetectZeroes.OFF
                : UnmapPolicy.DetectZeroes.parse(detectZeroesMode);
        if (detectZeroes == null) {
            return fail("Failed to parse detect_zeroes mode: invalid parameter value: " + detectZeroesMode);
        }
        try {
            UnmapPolicy.check(discard, detectZeroes);
        } catch (InvalidOptionException e) {
            return fail(e.getMessage());
        }
        Integer limit = number(shared);
        if (limit == null || limit < 0) {
            return fail("Invalid shared device number '" + shared + "'");
        }
        SocketAddress address;
        if (socket != null) {
            if (port != null || bind != null) {
                return fail("-k cannot be combined with -p or -b");
            }
            if (!Path.of(socket).isAbsolute()) {
                return fail("socket path must be absolute");
            }
            address = UnixDomainSocketAddress.of(socket);
        } else {
            Integer tcpPort = port == null ? Integer.valueOf(NbdServer.DEFAULT_PORT)
                    : number(port);
            if (tcpPort == null || tcpPort < 0 || tcpPort > 65535) {
                return fail("Invalid port number '" + port + "'");
            }
            try {
                String host = bind != null ? bind : list ? "localhost" : "0.0.0.0";
                address = new InetSocketAddress(InetAddress.getByName(host), tcpPort);
            } catch (UnknownHostException e) {
                return fail("address resolution failed for " + bind + ": Name or service not known");
            }
        }
        if (exportName.getBytes(StandardCharsets.UTF_8).length > 4096) {
            return fail("export name '" + exportName + "' too long");
        }
        if (list) {
            return listExports(address);
        }
        if (fork && System.getenv(FORKED) == null) {
            return forkServer();
        }
        return serve(files.get(0), address, limit, cache);
    }

    /** {@code -L}: what the server says of its exports, as qemu-nbd prints it. */
    private int listExports(SocketAddress address) {
        List<NbdExportInfo> exports;
        try {
            exports = NbdExportInfo.list(address);
        } catch (IOException e) {
            return fail(Messages.describe(e));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("exports available: " + exports.size());
        for (NbdExportInfo export : exports) {
            out.println(" export: '" + export.name() + "'");
            if (export.description() != null && !export.description().isEmpty()) {
                out.println("  description: " + export.description());
            }
            out.println("  size:  " + export.size());
            out.println("  flags: 0x" + Integer.toHexString(export.flags()) + " ( " + String.join(" ", export.flagNames())
                    + (export.flagNames().isEmpty() ? "" : " ") + ")");
            if (export.minimumBlock() != 0) {
                out.println("  min block: " + export.minimumBlock());
                out.println("  opt block: " + export.preferredBlock());
                out.println("  max block: " + Integer.toUnsignedString(export.maximumBlock()));
            }
            out.println("  available meta contexts: " + export.metaContexts().size());
            for (String context : export.metaContexts()) {
                out.println("   " + context);
            }
        }
        out.flush();
        return 0;
    }

    /** Whether {@code -o}'s value is an offset, as qemu-nbd takes it, rather than open options. */
    private static boolean isOffset(String value) {
        return !value.contains("=");
    }

    /**
     * @return the offset {@code -o} gives (0 without one, or when it gives open options), or -1 when
     *         it is not a non-negative number as C's {@code strtoull(text, 0)} reads one
     */
    private long offset() {
        if (offsetOrOptions == null || !isOffset(offsetOrOptions)) {
            return 0;
        }
        Long offset = QemuNumbers.strtolWhole(offsetOrOptions, false);
        return offset == null || offset < 0 ? -1 : offset;
    }

    private int serve(String file, SocketAddress address, int limit, CacheMode cache)
            throws IOException, InterruptedException {
        long offset = offset();
        if (offset < 0) {
            return fail("Invalid offset '" + offsetOrOptions + "'");
        }
        String openOptions = offsetOrOptions != null && !isOffset(offsetOrOptions) ? offsetOrOptions : null;
        BlockImage image;
        try {
            // As qemu-nbd: the clients are told the size, so nobody may resize the image meanwhile.
            OpenSpec spec = new OpenSpec(format, readOnly, false, openOptions, true).withCache(cache);
            if (imageOpts) {
                ImageOpts.Parsed parsed = ImageOpts.parse(file);
                for (String warning : parsed.warnings()) {
                    err.println(program() + ": warning: " + warning);
                }
                image = registry.open(parsed.options(), spec);
            } else {
                image = registry.open(Path.of(file), spec);
            }
        } catch (IOException | RuntimeException e) {
            return fail("Failed to open '" + file + "': " + Messages.describe(e));
        }
        if (offset > 0) {
            // As qemu-nbd: a raw image with that offset over the one opened, whatever its format.
            try {
                image = registry.openOver(image, new OpenSpec("raw", readOnly, false, "offset=" + offset, true));
            } catch (IOException | RuntimeException e) {
                image.close();
                return fail(Messages.describe(e));
            }
        }
        image = UnmapPolicy.over(image, discard, detectZeroes);
        NbdServer server;
        try {
            if (address instanceof UnixDomainSocketAddress) {
                // As qemu-nbd: a socket left behind by an earlier server is replaced.
                Files.deleteIfExists(((UnixDomainSocketAddress) address).getPath());
            }
            server = NbdServer.builder()
                    .export(new NbdExport(exportName, description, image))
                    .listen(address)
                    .maxConnections(limit)
                    .persistent(persistent)
                    .start();
        } catch (IOException | RuntimeException e) {
            image.close();
            return fail("Failed to listen on " + describe(address) + ": " + Messages.describe(e));
        }
        CompletableFuture<Integer> ended = new CompletableFuture<>();
        Thread onSignal = new Thread(() -> {
            // SIGTERM, SIGINT or SIGHUP: the server answers what is in flight and stops, main flushes
            // and closes the image, and the process ends with main's status, as qemu-nbd does (0 for
            // a clean stop), rather than the JVM's 128 + the signal.
            try {
                server.close();
            } catch (IOException e) {
                err.println(program() + ": " + Messages.describe(e));
            }
            int status;
            try {
                status = ended.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err.println(program() + ": the image was not closed within 60 s of the stop signal");
                status = 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = 1;
            }
            err.flush();
            Runtime.getRuntime().halt(status);
        }, "jblock-nbd-stop");
        Runtime.getRuntime().addShutdownHook(onSignal);
        int status = 1;
        try {
            if (pidFile != null) {
                Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            }
            if (System.getenv(FORKED) != null) {
                // Tells the waiting parent that the server is up: it exits once our stderr closes.
                System.err.close();
            }
            server.awaitTermination();
        } finally {
            status = close(server, image);
            ended.complete(status);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onSignal);
        } catch (IllegalStateException e) {
            // Shutting down already: the hook is running.
        }
        return status;
    }

    /** Stops the server and closes (so flushes) the image: 0 once done, else 1 with the message. */
    private int close(NbdServer server, BlockImage image) {
        try (image) {
            server.close();
        } catch (IOException | RuntimeException e) {
            return fail(Messages.describe(e));
        }
        return 0;
    }

    /**
     * {@code --fork}: starts this command again in the background (in a session of its own), copies
     * what it prints on stderr until it is listening, and exits 0 if it printed nothing, else 1.
     */
    private int forkServer() throws IOException, InterruptedException {
        ProcessHandle.Info self = ProcessHandle.current().info();
        if (self.command().isEmpty() || self.arguments().isEmpty()) {
            return fail("--fork: cannot find how this process was started");
        }
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(self.command().get());
        command.addAll(List.of(self.arguments().get()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put(FORKED, "1");
        Process child = builder.start();
        boolean printed = false;
        try (InputStream childErr = child.getErrorStream()) {
            byte[] buffer = new byte[4096];
            for (int n; (n = childErr.read(buffer)) > 0; ) {
                printed = true;
                err.print(new String(buffer, 0, n, Charset.defaultCharset()));
                err.flush();
            }
        }
        if (printed) {
            child.waitFor(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            return 1;
        }
        return 0;
    }

    private static Integer number(String text) {
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String describe(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            return "'" + ((UnixDomainSocketAddress) address).getPath() + "'";
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }

    /** @return the name to print: the one this command was called by (qemu-nbd, say), else its own */
    private static String program() {
        return ProgramName.or(TOOL);
    }

    private int usage(String message) {
        err.println(program() + ": " + message);
        err.println("Try `" + program() + " --help' for more information.");
        return 1;
    }

    private int fail(String message) {
        err.println(program() + ": " + message);
        err.flush();
        return 1;
    }
}
