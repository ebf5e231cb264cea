package org.jblock.shell.img;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.Sizes;
import org.jblock.ops.Differences;
import org.jblock.ops.ImageCopier;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ChainMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convert [-f fmt] [-O fmt] [-t cache] [-T src_cache] [-B backing_file] [-o options] [-p] [-q] [-n] [-W] [-m n] [-S size] [--salvage]
 * src... dst}: copies the concatenation of the sources into a new (or, with {@code -n}, an existing)
 * image, writing no zeros into a new one. A source with a backing chain is read as the guest sees
 * it, so the copy stands alone (the chain is flattened); with {@code -B} the new image gets that
 * backing file and holds only the sectors where the source differs from it. A destination it
 * created is removed again when the copy fails or the
 * process is interrupted.
 *
 * <p>The destination is written in cache mode {@code unsafe} unless {@code -t} says otherwise, as
 * qemu-img does: no flushes at all, so a crash during the convert may leave it in any state (a
 * convert interrupted is started again anyway); {@code -t writeback} flushes as the format's
 * crash-safe order asks and once at the end.
 *
 * <p>{@code --salvage} (qemu-img's flag) opens each source with its driver's {@code salvage} option
 * when it has one: a damaged image is then read as far as its data can be located, and every range
 * it reads as zeros instead is printed as a warning. The copy also goes on past sectors whose read or
 * block status fails, with qemu-img's warning for each (see {@link ImageCopier#salvaging}).
 */
@Command(name = "convert", description = "Converts images to another format (sources are concatenated).")
final class ConvertCommand extends ImgCommand {
    /**
     * Requests in flight by default: one per processor, at most 8 (qemu-img's default). Each worker
     * spends most of its time in the kernel copying through the page cache, so more workers than
     * processors only add hand-offs: on 2 processors 2 workers convert a 2 GiB image 20 to 25% faster
     * than 8 (benchmarks/README.md).
     */
    private static final int DEFAULT_WORKERS = Math.min(8, Runtime.getRuntime().availableProcessors());
    private static final int MAX_WORKERS = 16;
    /** The open option by which a driver reads a damaged image as far as it can. */
    static final String SALVAGE_OPTION = "salvage";
    /** The info field in which a salvaged image names the ranges it read as zeros. */
    static final String SALVAGE_WARNINGS = "salvage-warnings";

    @Option(names = "-f", paramLabel = "fmt", description = "Format of the sources (probed when absent).")
    String sourceFormat;

    @Option(names = "-O", paramLabel = "output_fmt",
            description = "Format of the destination (default raw; with -n, probed from the destination).")
    String targetFormat;

    @Option(names = "-o", paramLabel = "options", description = "Create options of the destination format; 'help' lists them.")
    String createOptions;

    @Option(names = "-p", description = "Show progress: a bar on a terminal, else qemu-img's (NN.NN/100%%) lines.")
    boolean showProgress;

    @Option(names = "-q", description = "Quiet: no progress bar.")
    boolean quiet;

    @Option(names = "-B", paramLabel = "backing_file",
            description = "Backing file of the new image: only what differs from it is written.")
    String backingFile;

    @Option(names = "-n", description = "Write into the existing destination instead of creating it.")
    boolean noCreate;

    @Option(names = "-W", description = "Allow writes out of order (faster; the layout may differ).")
    boolean outOfOrder;

    @Option(names = "-m", paramLabel = "num", description = "Requests in flight (1 to 16; default one per processor, at most 8).")
    int workers = DEFAULT_WORKERS;

    @Option(names = "-S", paramLabel = "sparse_size", defaultValue = "4k",
            description = "Zero runs of at least this size are not written (0: write everything; default 4k).")
    String sparseSize;

    @Option(names = "--salvage", description = "Read damaged sources as far as they can be read: what cannot be"
            + " read is copied as zeros, with a warning naming the range.")
    boolean salvage;

    @Option(names = "-U", description = "Open the sources without taking a lock.")
    boolean forceShare;

    @Option(names = "-t", paramLabel = "cache", defaultValue = "unsafe",
            description = "Cache mode of the destination: writeback, writethrough, unsafe (the default: no flushes),"
                    + " none and directsync (O_DIRECT on local files).")
    String cache;

    @Option(names = "-T", paramLabel = "src_cache", defaultValue = "writeback",
            description = "Cache mode of the sources (default writeback).")
    String sourceCache;

    @Parameters(arity = "0..*", paramLabel = "filename", description = "Source images, then the destination.")
    List<String> files;

    @Override
    public Integer call() throws IOException {
        if (targetFormat == null && !noCreate) {
            targetFormat = "raw";
        }
        if ("help".equals(createOptions) || "?".equals(createOptions)) {
            CreateCommand.printOptionHelp(out(), registry().describe(targetFormat == null ? "raw" : targetFormat));
            return 0;
        }
        if (files == null || files.size() < 2) {
            throw new BlockException("Must specify image file name");
        }
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new InvalidOptionException("Invalid number of coroutines. Allowed number of coroutines is between 1 and 16.");
        }
        int sparse = sparseGranule();
        if (targetFormat != null) {
            registry().describe(targetFormat);
        }
        Path destination = Path.of(files.get(files.size() - 1));
        List<String> sourceNames = files.subList(0, files.size() - 1);
        if (backingFile != null && (noCreate || sourceNames.size() != 1)) {
            throw new BlockException("-B needs exactly one source and a new destination");
        }
        refuseSourceAsDestination(sourceNames, destination);
        CacheMode sourceMode = sourceCacheMode(sourceCache);

        List<BlockImage> sources = new ArrayList<>();
        try {
            for (String name : sourceNames) {
                BlockImage source = open(name, sourceFormat, true, forceShare,
                        salvage ? switchIfSupported(name, sourceFormat, SALVAGE_OPTION) : "",
                        ChainMode.READ_ONLY_BACKING, sourceMode);
                sources.add(source);
                if (salvage) {
                    warnSalvaged(name, source);
                }
            }
            long total = 0;
            for (BlockImage source : sources) {
                total = Math.addExact(total, source.size());
            }
            CacheMode targetMode = CacheMode.parse(cache);
            if (noCreate) {
                copyInto(sources, destination, total, sparse, targetMode);
            } else {
                createAndCopy(sources, destination, total, sparse, targetMode);
            }
        } finally {
            for (BlockImage source : sources) {
                source.close();
            }
        }
        return 0;
    }

    /** qemu-img's warnings for each sector a salvaging copy gave up on (none with {@code -q}). */
    private ImageCopier.Salvage salvageWarnings() {
        return new ImageCopier.Salvage() {
            @Override
            public void blockStatusFailed(long offset, IOException cause) {
                warn("error while reading block status at offset " + offset + ": " + cause.getMessage());
            }

            @Override
            public void readFailed(long offset, IOException cause) {
                warn("error while reading offset " + offset + ": " + cause.getMessage());
            }

            private void warn(String message) {
                if (!quiet) {
                    err().println(JblockImg.TOOL + ": warning: " + message);
                }
            }
        };
    }

    /** Names what a salvaged source could not recover (its driver lists it in {@code info}). */
    private void warnSalvaged(String name, BlockImage source) throws IOException {
        Object warnings = source.info().formatSpecific().get(SALVAGE_WARNINGS);
        if (warnings instanceof List && !quiet) {
            for (Object warning : (List<?>) warnings) {
                err().println(JblockImg.TOOL + ": warning: " + name + ": " + warning);
            }
        }
    }

    private int sparseGranule() throws InvalidOptionException {
        long bytes;
        try {
            bytes = Sizes.parse(sparseSize);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid buffer size for sparse output specified: " + sparseSize);
        }
        if (bytes % 512 != 0 || bytes > ImageCopier.CHUNK) {
            throw new InvalidOptionException("Invalid buffer size for sparse output specified: " + sparseSize
                    + " (a multiple of 512 up to " + Sizes.human(ImageCopier.CHUNK) + ")");
        }
        return (int) bytes;
    }

    private void refuseSourceAsDestination(List<String> sourceNames, Path destination) throws IOException {
        if (!Files.exists(destination)) {
            return;
        }
        for (String name : sourceNames) {
            Path source = Path.of(name);
            if (Files.exists(source) && Files.isSameFile(source, destination)) {
                throw new BlockException(destination + ": the destination is the source image '" + name + "' itself");
            }
        }
    }

    /** With {@code -n}: an existing image of its own format (probed unless {@code -O} says), never reformatted. */
    private void copyInto(List<BlockImage> sources, Path destination, long total, int sparse, CacheMode mode)
            throws IOException {
        try (BlockImage target = open(destination.toString(), false, targetFormat, false, false, "", mode)) {
            if (target.size() < total) {
                throw new BlockException(destination + ": the destination (" + target.size()
                        + " bytes) is smaller than the sources (" + total + " bytes)");
            }
            copy(sources, target, false, sparse);
        }
    }

    private void createAndCopy(List<BlockImage> sources, Path destination, long total, int sparse, CacheMode mode)
            throws IOException {
        CreateCommand.refuseIfInUse(registry(), destination);
        boolean existed = Files.exists(destination);
        RemoveOnExit guard = new RemoveOnExit(destination, !existed);
        Runtime.getRuntime().addShutdownHook(guard);
        boolean done = false;
        try {
            registry().create(destination, targetFormat, total, createOptions == null ? "" : createOptions,
                    backingFile, null);
            try (BlockImage target = open(destination.toString(), false, targetFormat, false, false, "", mode)) {
                if (backingFile != null) {
                    try (Progress progress = progress(showProgress && !quiet)) {
                        Differences.copy(sources.get(0), target.backing().orElseThrow(), target, e -> true,
                                progress.listener());
                    }
                } else {
                    // A new image reads as zeros (BlockDriver.create writes an empty image): zeros are skipped.
                    copy(sources, target, true, sparse);
                }
            }
            done = true;
        } finally {
            guard.finish(done);
            try {
                Runtime.getRuntime().removeShutdownHook(guard);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook runs (and removes an unfinished destination).
            }
        }
    }

    private void copy(List<BlockImage> sources, BlockImage target, boolean targetIsZero, int sparse) throws IOException {
        try (Progress progress = progress(showProgress && !quiet, 1)) {
            ImageCopier copier = new ImageCopier(sources, target, targetIsZero, sparse, workers, outOfOrder,
                    progress.listener());
            if (salvage) {
                copier.salvaging(salvageWarnings());
            }
            copier.copy();
        }
    }

    /**
     * Removes a destination this run created unless the copy finished: on a failure right away, on an
     * interrupt (Ctrl-C) from the shutdown hook.
     */
    private static final class RemoveOnExit extends Thread {
        private final Path destination;
        private final boolean created;
        private boolean finished;

        RemoveOnExit(Path destination, boolean created) {
            super("convert-cleanup");
            this.destination = destination;
            this.created = created;
        }

        synchronized void finish(boolean succeeded) {
            finished = true;
            if (!succeeded) {
                removeCreated();
            }
        }

        @Override
        public synchronized void run() {
            if (!finished) {
                removeCreated();
            }
        }

        private void removeCreated() {
            if (!created) {
                return;
            }
            try {
                Files.deleteIfExists(destination);
            } catch (IOException e) {
                // Nothing more can be done about a destination that cannot be removed.
            }
        }
    }
}
