package org.jblock.shell.img;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.jblock.registry.DriverInfo;
import org.jblock.registry.DriverRegistry;
import org.jblock.shell.ProgramName;
import org.jblock.shell.ToolDrivers;
import org.jblock.shell.ToolLogging;
import org.jblock.shell.Version;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jblock-img}: a qemu-img-style image tool. Each subcommand is a class of its own that prints
 * only through the writers of its {@link CommandLine}, so the whole tool runs in tests with captured
 * output through {@link #commandLine}.
 */
@Command(name = "jblock-img", mixinStandardHelpOptions = true,
        description = "Creates, inspects, converts, compares and benchmarks disk images (qemu-img style).")
public final class JblockImg implements Callable<Integer> {
    /** The name the tool gives itself in messages: jblock-img, or the name it was called by. */
    static final String TOOL = ProgramName.or("jblock-img");
    private static final String[] NOT_PROVIDED = {"measure", "amend"};
    /** The subcommands, in the order help lists them. */
    private static final Map<String, Supplier<ImgCommand>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("create", CreateCommand::new);
        COMMANDS.put("info", InfoCommand::new);
        COMMANDS.put("check", CheckCommand::new);
        COMMANDS.put("convert", ConvertCommand::new);
        COMMANDS.put("compare", CompareCommand::new);
        COMMANDS.put("dd", DdCommand::new);
        COMMANDS.put("commit", CommitCommand::new);
        COMMANDS.put("rebase", RebaseCommand::new);
        COMMANDS.put("map", MapCommand::new);
        COMMANDS.put("resize", ResizeCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        for (String name : NOT_PROVIDED) {
            COMMANDS.put(name, () -> new NotProvidedCommand(name));
        }
    }

    @Option(names = {"-q", "--quiet"}, description = "Print errors only, no warnings (before the command).")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Print more: information; twice, debugging (before the command).")
    boolean[] verbose;

    private final DriverRegistry registry;
    private final boolean terminal;
    private CommandLine commandLine;

    JblockImg(DriverRegistry registry, boolean terminal) {
        this.registry = registry;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        Charset charset = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, charset), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, charset), true);
        // System.console() is non-null only when both stdin and stdout are terminals.
        boolean terminal = System.console() != null;
        int exitCode;
        try {
            ToolLogging.applySwitches(args);
            Optional<DriverRegistry> registry = ToolDrivers.load(TOOL, err::println);
            Set<String> needed = subcommandsNeeded(args);
            if (registry.isPresent() && needed.size() == 1) {
                // A subcommand will open images: their protocols get ready while its command line is parsed.
                registry.get().prepareProtocols(java.util.Arrays.asList(args));
            }
            exitCode = registry.isEmpty() ? 1 : commandLine(registry.get(), terminal, out, err, needed).execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands exceptions to the handler but lets errors through: still one line.
            err.println(TOOL + ": out of memory (" + e.getMessage() + ")");
            exitCode = 1;
        }
        out.flush();
        err.flush();
        System.exit(exitCode);
    }

    /**
     * The tool with its subcommands, printing to {@code out} and {@code err}.
     *
     * @param terminal whether {@code out} is a terminal (progress bars are shown only then)
     */
    static CommandLine commandLine(DriverRegistry registry, boolean terminal, PrintWriter out, PrintWriter err) {
        return commandLine(registry, terminal, out, err, COMMANDS.keySet());
    }

    /**
     * Building picocli's model of a subcommand costs start-up time, so only those the arguments can
     * reach are built: the one named first, none for the version or no arguments at all, every one
     * for help and for a name that is none of them (the error lists them).
     */
    static Set<String> subcommandsNeeded(String[] args) {
        if (args.length == 0 || (args.length == 1 && (args[0].equals("-V") || args[0].equals("--version")))) {
            return Set.of();
        }
        return COMMANDS.containsKey(args[0]) ? Set.of(args[0]) : COMMANDS.keySet();
    }

    /** As above, with only the subcommands {@code only} (see {@link #subcommandsNeeded}). */
    static CommandLine commandLine(DriverRegistry registry, boolean terminal, PrintWriter out,
                                           PrintWriter err, Set<String> only) {
        JblockImg tool = new JblockImg(registry, terminal);
        CommandLine cmd = new CommandLine(tool);
        cmd.setCommandName(TOOL);
        cmd.getCommandSpec().version(Version.line(TOOL));
        for (Map.Entry<String, Supplier<ImgCommand>> command : COMMANDS.entrySet()) {
            if (only.contains(command.getKey())) {
                ImgCommand subcommand = command.getValue().get();
                cmd.addSubcommand(command.getKey(), subcommand);
                CommandLine added = cmd.getSubcommands().get(command.getKey());
                added.getCommandSpec().mixinStandardHelpOptions(true);
                subcommand.attach(tool, added);
            }
        }
        if (cmd.getSubcommands().containsKey("resize")) {
            // qemu-img takes "resize img -1G" without "--": a negative size is not an option.
            cmd.getSubcommands().get("resize").setUnmatchedOptionsArePositionalParams(true);
        }
        // qemu-img's help ends with this line; scripts (and qemu's test suite) read it to learn which drivers exist.
        // One line however long, as qemu-img prints it: a section of its own, which picocli does not wrap.
        // Made when help is printed: describing every driver (their open options) costs every other start.
        cmd.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER,
                help -> "\n" + supportedFormats(registry) + "\n");
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler(new Failures());
        cmd.setParameterExceptionHandler(Failures::usage);
        tool.commandLine = cmd;
        return cmd;
    }

    /** The whole tool, every subcommand, as the man page and shell completion describe it. */
    public static CommandLine model(DriverRegistry registry) {
        PrintWriter none = new PrintWriter(java.io.Writer.nullWriter());
        return commandLine(registry, false, none, none);
    }

    /**
     * @return {@code Supported formats: } and the sorted names of every driver, protocol and filter
     *         the registry has, as qemu-img lists all its block drivers together
     */
    static String supportedFormats(DriverRegistry registry) {
        return "Supported formats: " + java.util.stream.Stream.of(
                        registry.describe().stream().map(DriverInfo::name), registry.protocolNames().stream(),
                        registry.filterNames().stream())
                .flatMap(s -> s).distinct().sorted().collect(Collectors.joining(" "));
    }

    DriverRegistry registry() {
        return registry;
    }

    boolean isTerminal() {
        return terminal;
    }

    /** Without a subcommand: say what is missing, as qemu-img does. */
    @Override
    public Integer call() {
        commandLine.getErr().println(TOOL + ": Not enough arguments (try '" + TOOL + " --help')");
        return 1;
    }

    /** Turns every failure into one line on stderr and the subcommand's exit code. */
    private static final class Failures implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
            cmd.getErr().println(TOOL + ": " + Messages.describe(ex));
            cmd.getErr().flush();
            return errorExitCode(cmd);
        }

        /** A command line that does not parse: one line naming the problem. */
        static int usage(CommandLine.ParameterException ex, String[] args) {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println(TOOL + ": " + ex.getMessage() + " (try '" + TOOL + " "
                    + (cmd.getParent() == null ? "" : cmd.getCommandName() + " ") + "--help')");
            cmd.getErr().flush();
            return errorExitCode(cmd);
        }

        private static int errorExitCode(CommandLine cmd) {
            Object command = cmd.getCommand();
            return command instanceof ImgCommand ? ((ImgCommand) command).errorExitCode() : 1;
        }
    }
}
