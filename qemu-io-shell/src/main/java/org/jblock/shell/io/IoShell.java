package org.jblock.shell.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.ImageClosedException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.ImageLockedException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.layer.MemoryOverlay;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.OpenSpec;
import org.jblock.shell.OpenFailure;
import org.jblock.shell.ProgramName;

import picocli.CommandLine;

/**
 * The state of one jblock-io session (the open image, the outstanding asynchronous requests,
 * whether any command failed) and {@link #dispatch(String)}, which runs one command line.
 *
 * <p>Everything is printed through the two streams given at construction, stdout and stderr in
 * the same split as qemu-io. The read-eval loop lives elsewhere, so the shell runs the same from
 * {@code -c}, from a pipe, from a terminal and from a test.
 */
public final class IoShell implements Closeable {
    /** The name the shell gives itself in messages and prompts: jblock-io, or the name it was called by. */
    public static final String PROGRAM = ProgramName.or("jblock-io");

    /** The size of the in-memory image a newcomer gets when no image is named. */
    static final long DEMO_SIZE = 64L << 20;

    private static final int SECTOR = 512;

    private final DriverRegistry registry;
    private final PrintStream out;
    private final PrintStream err;
    private final Object outputLock = new Object();
    private final ExecutorService aioThreads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, PROGRAM + "-aio");
        thread.setDaemon(true);
        return thread;
    });
    private final List<CompletableFuture<Void>> outstanding = new ArrayList<>();

    private volatile java.util.function.Consumer<String> asyncPrinter;
    private BlockImage image;
    private String imagePath;
    private OpenSpec imageSpec;
    private boolean probedRaw;
    private boolean anyFailed;
    private boolean quitRequested;

    public IoShell(DriverRegistry registry, PrintStream out, PrintStream err) {
        this.registry = registry;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs one command line: words split on spaces, the first names the command. Bad input of any
     * kind is reported in one line and recorded as a failure; it never throws.
     *
     * @return 0 on success, negative when the command failed
     */
    public int dispatch(String line) {
        List<String> words = Arrays.stream(line.split(" ")).filter(w -> !w.isEmpty()).toList();
        if (words.isEmpty()) {
            return IoCommand.OK;
        }
        int status;
        try {
            status = run(words.get(0), words.subList(1, words.size()));
        } catch (RuntimeException | OutOfMemoryError e) {
            // A bug or an impossible request must not end the session: say what happened in one line.
            err(PROGRAM + ": " + words.get(0) + ": " + e + "\n");
            status = IoCommand.FAILED;
        }
        if (status < 0) {
            anyFailed = true;
        }
        synchronized (outputLock) {
            out.flush();
            err.flush();
        }
        return status;
    }

    private int run(String word, List<String> args) {
        Optional<CommandInfo> found = CommandTable.find(word);
        if (found.isEmpty()) {
            err("command \"" + word + "\" not found\n");
            return IoCommand.FAILED;
        }
        CommandInfo info = found.get();
        if (info.needsFile() && image == null) {
            err("no file open, try 'help open'\n");
            return IoCommand.FAILED;
        }
        int argc = args.size();
        if (argc < info.argMin() || (info.argMax() != -1 && argc > info.argMax())) {
            String expected = info.argMax() == -1 ? "at least " + info.argMin()
                    : info.argMin() == info.argMax() ? String.valueOf(info.argMin())
                    : "between " + info.argMin() + " and " + info.argMax();
            err("bad argument count " + argc + " to " + word + ", expected " + expected + " arguments\n");
            return IoCommand.FAILED;
        }
        if (info.writes() && image.isReadOnly()) {
            err(PROGRAM + ": Block node is read-only\n");
            return IoCommand.FAILED;
        }
        IoCommand command = info.factory().get();
        command.bind(this, info);
        CommandLine parser = parser(command);
        boolean takesFlags = !parser.getCommandSpec().options().isEmpty();
        String problem = takesFlags ? GetoptMessages.problem(parser.getCommandSpec(), args) : null;
        try {
            if (problem == null) {
                parser.parseArgs(args.toArray(String[]::new));
            }
        } catch (CommandLine.ParameterException e) {
            problem = GetoptMessages.describe(parser.getCommandSpec(), args, false);
        }
        if (problem != null) {
            err(word + ": " + problem + "\n");
            return command.usage();
        }
        return command.call();
    }

    /** A picocli parser that reads a command's words the way getopt does. */
    static CommandLine parser(Object command) {
        CommandLine parser = new CommandLine(command);
        parser.setPosixClusteredShortOptionsAllowed(true);
        parser.setExpandAtFiles(false);
        parser.setOverwrittenOptionsAllowed(true);
        parser.setUnmatchedArgumentsAllowed(false);
        // Commands without flags (alloc, sleep, ...) read "-1" as an argument, as qemu-io does.
        parser.setUnmatchedOptionsArePositionalParams(parser.getCommandSpec().options().isEmpty());
        return parser;
    }

    /** @return whether any command failed so far (the exit status is 1 then) */
    public boolean anyCommandFailed() {
        return anyFailed;
    }

    /** @return whether {@code quit} ran */
    public boolean quitRequested() {
        return quitRequested;
    }

    void requestQuit() {
        quitRequested = true;
    }

    /** Prints to stdout, whole, even while asynchronous requests complete. */
    void out(String text) {
        synchronized (outputLock) {
            out.print(text);
            out.flush();
        }
    }

    /** Prints a completion report, through the line editor when one is reading a line. */
    private void outAsync(String text) {
        java.util.function.Consumer<String> printer = asyncPrinter;
        if (printer != null && !text.isEmpty()) {
            synchronized (outputLock) {
                printer.accept(text);
            }
        } else {
            out(text);
        }
    }

    /** Routes completion reports of asynchronous requests through {@code printer}, or back to stdout when null. */
    void printAsyncWith(java.util.function.Consumer<String> printer) {
        asyncPrinter = printer;
    }

    /** Prints to stderr, whole. */
    void err(String text) {
        synchronized (outputLock) {
            err.print(text);
            err.flush();
        }
    }

    /** Pushes out everything printed so far (before the process may end abruptly). */
    void flushOutput() {
        synchronized (outputLock) {
            out.flush();
            err.flush();
        }
    }

    /** @return the open image, or null */
    BlockImage image() {
        return image;
    }

    /** @return whether an image is open */
    public boolean hasImage() {
        return image != null;
    }

    DriverRegistry registry() {
        return registry;
    }

    /**
     * Opens the image at {@code path} as qemu-io's {@code open} does, printing any failure.
     *
     * @return whether it opened
     */
    public boolean open(String path, OpenSpec spec) {
        return open(path, spec, false);
    }

    /**
     * Opens the image at {@code path}; in snapshot mode read-only, with writes kept in memory and
     * dropped on close (qemu-io's {@code -s}).
     *
     * @return whether it opened
     */
    public boolean open(String path, OpenSpec spec, boolean snapshot) {
        return open(path, spec, snapshot, path);
    }

    /**
     * As {@link #open(String, OpenSpec, boolean)}; {@code shownName} is the name the user gave, which
     * qemu-io's failure messages show ({@code can't open device NAME: ...}), or null when the image
     * was named by options alone ({@code can't open: ...}).
     */
    public boolean open(String path, OpenSpec spec, boolean snapshot, String shownName) {
        if (image != null) {
            err(PROGRAM + ": file open already, try 'help close'\n");
            return false;
        }
        String cannot = shownName != null ? "can't open device " + shownName + ": " : "can't open: ";
        if (spec.forceShare() && !spec.readOnly()) {
            err(PROGRAM + ": " + cannot + "force-share=on can only be used with read-only images\n");
            return false;
        }
        try {
            if (snapshot) {
                image = MemoryOverlay.over(registry.open(path, spec.withReadOnly(true)));
                imagePath = null;
                imageSpec = null;
            } else {
                image = registry.open(path, spec);
                imagePath = path;
                imageSpec = spec;
            }
        } catch (IOException | RuntimeException e) {
            err(PROGRAM + ": " + cannot + openFailure(path, e) + "\n");
            return false;
        }
        warnIfProbedRaw(path, spec);
        return true;
    }

    private void warnIfProbedRaw(String path, OpenSpec spec) {
        if (spec.format() != null || namesItsFormat(path)) {
            return;
        }
        try {
            if ("raw".equals(image.info().format())) {
                probedRaw = true;
                err("WARNING: Image format was not specified for '" + path + "' and probing guessed raw.\n"
                        + "         Automatically detecting the format is dangerous for raw images,"
                        + " write operations on block 0 will be restricted.\n"
                        + "         Specify the 'raw' format explicitly to remove the restrictions.\n");
            }
        } catch (IOException e) {
            // The warning is advice only; an image that cannot describe itself fails its next command.
        }
    }

    /** @return whether {@code path} is a {@code json:} name whose options name the format: nothing was probed */
    private static boolean namesItsFormat(String path) {
        try {
            return ImageOpts.isJson(path) && ImageOpts.json(path).containsKey("driver");
        } catch (InvalidOptionException e) {
            return false;
        }
    }

    /**
     * Opens the image on {@code file} (memory, or a file the caller opened), printing any failure.
     *
     * @return whether it opened; on failure {@code file} is closed
     */
    public boolean open(BlockFile file, OpenSpec spec) {
        if (image != null) {
            err(PROGRAM + ": file open already, try 'help close'\n");
            closeQuietly(file);
            return false;
        }
        try {
            image = registry.open(file, spec);
            imagePath = null;
            imageSpec = null;
            return true;
        } catch (IOException | RuntimeException e) {
            closeQuietly(file);
            err(PROGRAM + ": can't open device " + file.name() + ": " + messageText(e) + "\n");
            return false;
        }
    }

    /**
     * Creates a fresh in-memory VHD of {@link #DEMO_SIZE} and opens it, for a newcomer who named no
     * image; says so in one line.
     *
     * @return whether it opened
     */
    public boolean openDemoImage() {
        String name = "demo.vhd";
        MemoryBlockFile file = new MemoryBlockFile(name);
        try {
            registry.create(file, "vpc", DEMO_SIZE, "");
        } catch (IOException | RuntimeException e) {
            closeQuietly(file);
            err(PROGRAM + ": could not create the in-memory demo image: " + messageText(e) + "\n");
            return false;
        }
        if (!open(file, new OpenSpec("vpc", false, false, ""))) {
            return false;
        }
        out("No image given: opened a new 64 MiB in-memory VHD (" + name
                + "), gone on exit. Try: write -P 0xab 0 64k, read -P 0xab 0 64k, map, info\n");
        return true;
    }

    /** Closes the open image after its outstanding requests complete. */
    void closeImage() {
        drainAio();
        BlockImage closing = image;
        image = null;
        probedRaw = false;
        imagePath = null;
        imageSpec = null;
        try {
            closing.close();
        } catch (IOException e) {
            err(PROGRAM + ": " + messageText(e) + "\n");
        }
    }

    /**
     * Opens the current image again with {@code spec} (qemu-io's {@code reopen}).
     *
     * @return whether it reopened; on failure the image stays open as it was when possible
     */
    boolean reopen(OpenSpec spec) {
        if (imagePath == null) {
            err(PROGRAM + ": an in-memory or snapshot image cannot be reopened\n");
            return false;
        }
        String path = imagePath;
        OpenSpec previous = imageSpec;
        closeImage();
        try {
            image = registry.open(path, spec);
            imagePath = path;
            imageSpec = spec;
            return true;
        } catch (IOException | RuntimeException e) {
            err(PROGRAM + ": " + messageText(e) + "\n");
            open(path, previous);
            return false;
        }
    }

    /**
     * Refuses a write that would make an image opened by probing as raw probe as another format
     * next time (its first sector turning into, say, a VHD footer), as QEMU restricts block 0 of
     * probed raw images.
     *
     * @throws ProbedRawWriteException when the write would change what the image probes as
     */
    void guardProbedRaw(long offset, byte[] data) throws IOException {
        if (!probedRaw || offset >= SECTOR || data.length == 0) {
            return;
        }
        byte[] sector = new byte[(int) Math.min(SECTOR, image.size())];
        image.read(0, ByteBuffer.wrap(sector));
        System.arraycopy(data, 0, sector, (int) offset, (int) Math.min(data.length, sector.length - offset));
        try (MemoryBlockFile first = MemoryBlockFile.of(image.name(), sector)) {
            if (!"raw".equals(registry.probeFormat(first))) {
                throw new ProbedRawWriteException(image.name());
            }
        }
    }

    /** A write to block 0 of a probed raw image that would change its format; the image is unchanged. */
    static final class ProbedRawWriteException extends BlockException {
        private static final long serialVersionUID = 1L;

        ProbedRawWriteException(String name) {
            super(name + ": writing this to block 0 would make a probed raw image look like another format");
        }
    }

    /** @return how the current image was opened, or null for an in-memory image */
    OpenSpec imageSpec() {
        return imageSpec;
    }

    /**
     * Runs a request on the asynchronous pool; its report (whatever {@code request} returns) is
     * printed when it completes, in completion order.
     */
    void submitAio(java.util.function.Supplier<String> request) {
        CompletableFuture<Void> done = CompletableFuture.supplyAsync(request, aioThreads).thenAccept(this::outAsync);
        synchronized (outstanding) {
            outstanding.add(done);
        }
    }

    /** Waits until every asynchronous request has completed and printed its report. */
    void drainAio() {
        List<CompletableFuture<Void>> waiting;
        synchronized (outstanding) {
            waiting = new ArrayList<>(outstanding);
            outstanding.clear();
        }
        for (CompletableFuture<Void> f : waiting) {
            f.exceptionally(e -> null).join();
        }
    }

    /** Completes outstanding requests and closes the image; the exit path of every mode. */
    @Override
    public void close() {
        if (image != null) {
            closeImage();
        }
        aioThreads.shutdown();
        synchronized (outputLock) {
            out.flush();
            err.flush();
        }
    }

    /** @return whether {@code [offset, offset+count)} lies in the image, as the block layer checks before any I/O */
    boolean inRange(long offset, long count) throws IOException {
        long size = image.size();
        return offset >= 0 && count >= 0 && offset <= size && count <= size - offset;
    }

    /**
     * @return the reason a request failed in the words of C's {@code strerror}, as qemu-io prints
     *         it after {@code read failed:}; errors with no errno equivalent keep their own message
     */
    static String errnoText(IOException e) {
        if (e instanceof ReadOnlyImageException || e instanceof ProbedRawWriteException) {
            return "Operation not permitted";
        }
        if (e instanceof ImageClosedException) {
            return "No medium found";
        }
        if (e instanceof InvalidRequestException) {
            return "Input/output error";
        }
        if (e instanceof UnsupportedFeatureException) {
            return "Operation not supported";
        }
        return messageText(e);
    }

    /** @return the failure's message in one line, without the leading {@code "<image>: "} */
    static String messageText(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof BlockException) {
            int colon = message.indexOf(": ");
            // Messages name the image first; the shell's own prefix already says which one.
            if (colon > 0 && !message.substring(0, colon).contains(" ")) {
                message = message.substring(colon + 2);
            }
        }
        // A lock failure keeps QEMU's second line, the hint naming the image.
        return e instanceof ImageLockedException ? message : message.replace('\n', ' ');
    }

    private static String openFailure(String path, Throwable e) {
        String reason = OpenFailure.reason(path, e);
        return reason != null ? reason : messageText(e);
    }

    private static void closeQuietly(BlockFile file) {
        try {
            file.close();
        } catch (IOException e) {
            // Nothing was created worth keeping; the failure that got us here is the one to report.
        }
    }
}
