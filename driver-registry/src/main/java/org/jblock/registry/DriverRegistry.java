package org.jblock.registry;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.Spliterator;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.LocalBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/**
 * The drivers jblock can use, and the one way to open or create an image with them.
 *
 * <h2>Discovery</h2>
 * Drivers are {@link BlockDriver} services found by {@link ServiceLoader}: in this module's layer
 * when it runs on the module path, on the class path otherwise ({@link #load()}). Each provider is
 * isolated: one that fails to load or to start, or whose name is not acceptable, is logged (through
 * {@link System.Logger}, at WARNING) and listed by {@link #problems()}; the others are registered.
 * <ul>
 *   <li>A name is lower-case letters, digits, '-' and '_', starting with a letter.</li>
 *   <li>Two drivers with one name: the first found is registered, the second is a problem.</li>
 *   <li>The built-in names {@code raw} and {@code vpc} belong to jblock's own drivers: a driver
 *       may use one only when its class is in the package {@code org.jblock.driver.<name>} (and, on
 *       the module path, in the module of that name). Such a driver is <em>built-in</em>.</li>
 * </ul>
 *
 * <h2>Opening</h2>
 * With a format name ({@link OpenSpec#format()}), that driver opens the image; an unknown name
 * fails with {@link UnknownFormatException}, which lists the names that exist. Without one, the
 * format is probed:
 * <ol>
 *   <li>every driver scores the file's first and last bytes, size and name (a driver whose probe
 *       throws scores 0);</li>
 *   <li>drivers are ranked by score (highest first), then built-in before third-party, then by
 *       name;</li>
 *   <li>only the drivers that share the highest score are tried, in that order; the first that
 *       opens the image wins. A lower score is never tried after a higher one fails, so a damaged
 *       image of a format with magic bytes never opens as raw;</li>
 *   <li>when a single driver was tried, its failure is thrown as it is (a corrupt VHD gives its
 *       {@link org.jblock.api.CorruptImageException}); when several tied and all failed, or when no
 *       driver scored above 0, a {@link NoUsableDriverException} lists each driver's reason.</li>
 * </ol>
 * An image probed as raw and opened writable refuses a write to the bytes a probe sees (the first
 * {@value ProbeInput#HEAD_BYTES} and the last {@value ProbeInput#TAIL_BYTES}), or a resize, that would
 * make a probe pick another format: QEMU's guard against a guest turning a raw disk into an image
 * that points at host files. Naming the format lifts it.
 *
 * <h2>Backing chains</h2>
 * A driver whose image has a backing image asks for it through {@link OpenRequest#backing()}; the
 * registry opens it next to the child's file (an absolute name as it is), probing its format unless
 * the driver names one, read-only with a shared lock ({@link ChainMode}), and so on down the chain.
 * A chain deeper than {@value ChainOpener#MAX_DEPTH} images, or one that comes back to an image
 * above, is refused. Each image owns its backing image: closing the top closes the chain. The top
 * image's open options are passed down: each layer's driver takes those it knows (so that
 * {@code ignore_checksums=on} rescues a whole chain).
 *
 * <h2>Locking</h2>
 * {@link #open(Path, OpenSpec)} locks the file: writers exclusively, readers shared, against opens
 * in this process and in others. A second writer gets {@link org.jblock.api.ImageLockedException}
 * ({@code Failed to get "write" lock}). {@link OpenSpec#forceShare()} skips locking, for read-only
 * opens only.
 *
 * <p>Immutable and safe for concurrent use.
 */
public final class DriverRegistry {
    /**
     * The logger, created on first use: creating one loads java.util.logging, which costs a
     * command-line tool more start-up time than the rest of the registry, and most runs log nothing.
     */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(DriverRegistry.class.getName());
    }

    private static final Set<String> BUILT_IN_NAMES = Set.of("raw", "vpc");
    private static final String BUILT_IN_PACKAGE_PREFIX = "org.jblock.driver.";
    private static final String RAW = "raw";
    private static final Pattern VALID_NAME = Pattern.compile("[a-z][a-z0-9_-]*");
    /** A service lookup that keeps failing is abandoned after this many failures in a row. */
    private static final int LOOKUP_FAILURES_IN_A_ROW = 100;

    private static final Comparator<Scored> RANKING = Comparator.comparingInt(Scored::score).reversed()
            .thenComparing(s -> !s.entry().builtIn())
            .thenComparing(s -> s.entry().driver().name());

    /** A registered driver. */
    private record Entry(BlockDriver driver, boolean builtIn) {
        String name() {
            return driver.name();
        }
    }

    /** A driver's probe score, and why it is 0 when its probe failed. */
    private record Scored(Entry entry, int score, RuntimeException failure) {
    }

    private final Map<String, Entry> drivers;
    private final List<DriverProblem> problems;

    private DriverRegistry(Registration registration) {
        this.drivers = Collections.unmodifiableMap(registration.byName);
        this.problems = List.copyOf(registration.problems);
    }

    /** The drivers visible to this module (its layer on the module path, or the class path). */
    public static DriverRegistry load() {
        ModuleLayer layer = DriverRegistry.class.getModule().getLayer();
        return from(layer != null
                ? ServiceLoader.load(layer, BlockDriver.class)
                : ServiceLoader.load(BlockDriver.class, DriverRegistry.class.getClassLoader()));
    }

    /** The drivers in {@code layer} and its parents. */
    public static DriverRegistry load(ModuleLayer layer) {
        return from(ServiceLoader.load(layer, BlockDriver.class));
    }

    /** The drivers {@code loader} sees (the class path, or a plugin folder's loader). */
    public static DriverRegistry load(ClassLoader loader) {
        return from(ServiceLoader.load(BlockDriver.class, loader));
    }

    private static DriverRegistry from(ServiceLoader<BlockDriver> loader) {
        Registration registration = new Registration();
        // The stream's spliterator lets a lookup failure (a provider class that is missing or of the
        // wrong type) be caught per provider: the next tryAdvance goes on with the next one.
        Spliterator<ServiceLoader.Provider<BlockDriver>> providers = loader.stream().spliterator();
        int failuresInARow = 0;
        boolean more = true;
        while (more && failuresInARow < LOOKUP_FAILURES_IN_A_ROW) {
            try {
                more = providers.tryAdvance(registration::add);
                failuresInARow = 0;
            } catch (ServiceConfigurationError e) {
                registration.problem("service lookup", "a driver could not be loaded: " + e.getMessage(), e);
                failuresInARow++;
            }
        }
        return new DriverRegistry(registration);
    }

    /** A registry of exactly these drivers (for tests and embedding), checked as loaded ones are. */
    public static DriverRegistry of(BlockDriver... drivers) {
        Registration registration = new Registration();
        for (BlockDriver driver : drivers) {
            registration.add(driver);
        }
        return new DriverRegistry(registration);
    }

    /** Collects drivers while a registry is built, refusing those that break the rules. */
    private static final class Registration {
        final Map<String, Entry> byName = new TreeMap<>();
        final List<DriverProblem> problems = new ArrayList<>();

        void add(ServiceLoader.Provider<BlockDriver> provider) {
            BlockDriver driver;
            try {
                driver = provider.get();
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                problem(provider.type().getName(), "the driver could not be started: " + cause, e);
                return;
            }
            add(driver);
        }

        void add(BlockDriver driver) {
            String provider = driver.getClass().getName();
            String name;
            try {
                name = driver.name();
            } catch (RuntimeException e) {
                problem(provider, "the driver's name() failed: " + e, e);
                return;
            }
            if (name == null || !VALID_NAME.matcher(name).matches()) {
                problem(provider, "'" + name + "' is not a format name (lower-case letters, digits, '-' and '_',"
                        + " starting with a letter); the driver is not registered", null);
                return;
            }
            boolean builtIn = isBuiltIn(driver.getClass(), name);
            if (BUILT_IN_NAMES.contains(name) && !builtIn) {
                problem(provider, "the name '" + name + "' is reserved for jblock's own driver in the package "
                        + BUILT_IN_PACKAGE_PREFIX + name + "; the driver is not registered", null);
                return;
            }
            Entry taken = byName.get(name);
            if (taken != null) {
                problem(provider, "the name '" + name + "' is already taken by " + taken.driver().getClass().getName()
                        + "; the driver is not registered", null);
                return;
            }
            // Not logged: a debug line per driver would create the logger on every start (see Log);
            // drivers() lists what is registered.
            byName.put(name, new Entry(driver, builtIn));
        }

        void problem(String provider, String message, Throwable cause) {
            problems.add(new DriverProblem(provider, message, cause));
            Log.LOG.log(Level.WARNING, "Driver " + provider + " ignored: " + message, cause);
        }
    }

    /** Built-in: a reserved name, from its own package (and its own module, on the module path). */
    private static boolean isBuiltIn(Class<?> type, String name) {
        String home = BUILT_IN_PACKAGE_PREFIX + name;
        Module module = type.getModule();
        return BUILT_IN_NAMES.contains(name) && type.getPackageName().equals(home)
                && (!module.isNamed() || module.getName().equals(home));
    }

    /** @return every registered driver, sorted by name */
    public List<BlockDriver> drivers() {
        return drivers.values().stream().map(Entry::driver).collect(Collectors.toUnmodifiableList());
    }

    /** @return every registered driver with its options, sorted by name */
    public List<DriverInfo> describe() {
        return drivers.values().stream()
                .map(e -> new DriverInfo(e.name(), e.driver().description(), e.builtIn(),
                        e.driver().openOptions(), e.driver().createOptions()))
                .collect(Collectors.toUnmodifiableList());
    }

    /** @return the providers that were found but not registered, in the order found */
    public List<DriverProblem> problems() {
        return problems;
    }

    /**
     * @return the driver of that name
     * @throws UnknownFormatException listing the names that exist
     */
    public BlockDriver driver(String name) throws UnknownFormatException {
        Entry entry = name == null ? null : drivers.get(name);
        if (entry == null) {
            throw new UnknownFormatException("Unknown driver '" + name + "' (known formats: "
                    + String.join(", ", drivers.keySet()) + ")");
        }
        return entry.driver();
    }

    /**
     * @return the driver that wins the probe of {@code file} (see the class comment for the order)
     * @throws NoUsableDriverException when no driver recognises it, with each driver's reason
     */
    public BlockDriver probe(BlockFile file) throws IOException {
        List<Scored> ranked = rank(ProbeInput.read(file));
        if (ranked.isEmpty() || ranked.get(0).score() == 0) {
            throw unrecognised(file.name(), ranked);
        }
        return ranked.get(0).entry().driver();
    }

    /** Every driver's score for {@code input}, best first. */
    private List<Scored> rank(ProbeInput input) {
        List<Scored> scores = new ArrayList<>(drivers.size());
        for (Entry entry : drivers.values()) {
            try {
                int score = entry.driver().probe(input);
                scores.add(new Scored(entry, Math.max(0, Math.min(BlockDriver.PROBE_CERTAIN, score)), null));
            } catch (RuntimeException e) {
                Log.LOG.log(Level.WARNING, "Driver '" + entry.name() + "' failed to probe " + input.fileName(), e);
                scores.add(new Scored(entry, 0, e));
            }
        }
        scores.sort(RANKING);
        return scores;
    }

    /** @return the name of the format a probe of {@code input} picks, if any driver recognises it */
    Optional<String> winner(ProbeInput input) {
        List<Scored> ranked = rank(input);
        return ranked.isEmpty() || ranked.get(0).score() == 0 ? Optional.empty()
                : Optional.of(ranked.get(0).entry().name());
    }

    private static NoUsableDriverException unrecognised(String fileName, List<Scored> ranked) {
        List<BlockException> reasons = new ArrayList<>();
        for (Scored s : ranked) {
            reasons.add(s.failure() == null
                    ? new BlockException(s.entry().name() + ": not its format (probe score 0)")
                    : new BlockException(s.entry().name() + ": its probe failed: " + s.failure(), s.failure()));
        }
        return new NoUsableDriverException(fileName + ": Could not determine the image format: no driver recognises it"
                + (ranked.isEmpty() ? " (no drivers are registered)" : " (" + joined(reasons) + ")"), reasons);
    }

    private static String joined(List<? extends Throwable> reasons) {
        return reasons.stream().map(Throwable::getMessage).collect(Collectors.joining("; "));
    }

    /**
     * Opens the image at {@code path}, locking the file as {@code spec} says.
     *
     * @throws InvalidOptionException when force-share is asked of a writable open
     * @throws org.jblock.api.ImageLockedException when another open holds a conflicting lock
     */
    public BlockImage open(Path path, OpenSpec spec) throws IOException {
        return open(path, spec, ChainMode.READ_ONLY_BACKING);
    }

    /**
     * Opens the image at {@code path}, locking the file as {@code spec} says, and its backing chain
     * as {@code chain} says.
     */
    public BlockImage open(Path path, OpenSpec spec, ChainMode chain) throws IOException {
        return openLayer(path, spec, false, file -> ChainOpener.forTop(this, chain, spec.options(), file));
    }

    /**
     * Opens and locks one layer of a chain; {@code backing} opens the layers below it.
     *
     * @param inherited whether the options are the top image's, passed down: a layer's driver then
     *                  takes those it knows and ignores the rest
     */
    BlockImage openLayer(Path path, OpenSpec spec, boolean inherited, Function<BlockFile, BackingOpener> backing)
            throws IOException {
        if (spec.forceShare() && !spec.readOnly()) {
            throw new InvalidOptionException("force-share=on can only be used with read-only images");
        }
        BlockFile file = openFile(path, spec.readOnly());
        try {
            if (!spec.forceShare()) {
                file.lock(spec.readOnly() ? BlockFile.LockMode.SHARED : BlockFile.LockMode.EXCLUSIVE);
            }
            return open(file, spec, inherited, backing.apply(file));
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(file, e);
            throw e;
        }
    }

    /** The storage at {@code path}: the one place where the registry opens files. */
    private static BlockFile openFile(Path path, boolean readOnly) throws IOException {
        return LocalBlockFile.open(path, readOnly);
    }

    /**
     * Opens the image on {@code file} (no locking: the caller owns the file), with its backing chain
     * opened next to {@link BlockFile#location()}. On success the image owns the file; on failure the
     * caller closes it.
     */
    public BlockImage open(BlockFile file, OpenSpec spec) throws IOException {
        return open(file, spec, ChainMode.READ_ONLY_BACKING);
    }

    /** {@link #open(BlockFile, OpenSpec)} with the backing chain opened as {@code chain} says. */
    public BlockImage open(BlockFile file, OpenSpec spec, ChainMode chain) throws IOException {
        return open(file, spec, false, ChainOpener.forTop(this, chain, spec.options(), file));
    }

    private BlockImage open(BlockFile file, OpenSpec spec, boolean inherited, BackingOpener backing)
            throws IOException {
        boolean readOnly = spec.readOnly() || file.isReadOnly();
        if (spec.format() != null) {
            return openWith(driver(spec.format()), file, readOnly, spec, inherited, backing);
        }
        List<Scored> ranked = rank(ProbeInput.read(file));
        if (ranked.isEmpty() || ranked.get(0).score() == 0) {
            throw unrecognised(file.name(), ranked);
        }
        int best = ranked.get(0).score();
        List<Scored> tied = ranked.stream().filter(s -> s.score() == best).collect(Collectors.toList());
        if (tied.size() == 1) {
            return guarded(tied.get(0).entry(), openWith(tied.get(0).entry().driver(), file, readOnly, spec, inherited, backing), readOnly);
        }
        List<IOException> failures = new ArrayList<>();
        for (Scored candidate : tied) {
            try {
                return guarded(candidate.entry(), openWith(candidate.entry().driver(), file, readOnly, spec, inherited, backing), readOnly);
            } catch (IOException e) {
                failures.add(e);
            }
        }
        StringBuilder reasons = new StringBuilder();
        for (int i = 0; i < tied.size(); i++) {
            reasons.append(i == 0 ? "" : "; ").append(tied.get(i).entry().name()).append(": ")
                    .append(failures.get(i).getMessage());
        }
        throw new NoUsableDriverException(file.name() + ": Could not open the image: every driver that recognises it"
                + " (score " + best + ") failed (" + reasons + ")", failures);
    }

    /** A probed raw image opened writable is guarded against writes that would change its format. */
    private BlockImage guarded(Entry winner, BlockImage image, boolean readOnly) {
        return winner.builtIn() && winner.name().equals(RAW) && !readOnly ? new ProbedRawImage(image, this) : image;
    }

    private static BlockImage openWith(BlockDriver driver, BlockFile file, boolean readOnly, OpenSpec spec,
                                       boolean inherited, BackingOpener backing) throws IOException {
        Options options;
        if (inherited) {
            Map<String, String> known = new java.util.LinkedHashMap<>(Options.split(spec.options()));
            known.keySet().retainAll(driver.openOptions().stream().map(o -> o.name()).collect(Collectors.toSet()));
            options = Options.of(known, driver.openOptions());
        } else {
            options = Options.parse(spec.options(), driver.openOptions());
        }
        try {
            return driver.open(new OpenRequest(file, readOnly, options, backing));
        } catch (RuntimeException e) {
            throw driverBug(driver, "open " + file.name(), e);
        }
    }

    /** A driver broke its contract by throwing an unchecked exception: report it as a typed error. */
    private static BlockException driverBug(BlockDriver driver, String what, RuntimeException e) {
        return new BlockException("Format driver '" + driver.name() + "' failed to " + what + ": " + e, e);
    }

    /**
     * Creates an image of {@code format} at {@code path}, replacing a file that is there.
     *
     * <p>The file is locked before anything is written, so an image in use (here or in another
     * process) is left alone. When creation fails, a file this call created is deleted; a file that
     * was there before stays, as the driver left it.
     *
     * @param options the driver's create options as {@code key=value,...}
     * @throws UnknownFormatException listing the names that exist
     * @throws InvalidOptionException for a negative size or an option the driver refuses
     * @throws org.jblock.api.ImageLockedException when the file is in use
     */
    public void create(Path path, String format, long size, String options) throws IOException {
        create(path, format, size, options, null, null);
    }

    /**
     * Creates a layered image of {@code format} at {@code path} over the backing image
     * {@code backingName} (relative names are relative to {@code path}), which must exist; its
     * format is probed unless {@code backingFormat} names it. Otherwise as
     * {@link #create(Path, String, long, String)}.
     *
     * @param size the virtual size, or -1 for the backing image's
     * @throws org.jblock.api.UnsupportedFeatureException when the format has no backing files (QEMU's message)
     */
    public void create(Path path, String format, long size, String options, String backingName, String backingFormat)
            throws IOException {
        BlockDriver driver = driver(format);
        if (backingName == null) {
            create(path, driver, size, options, null);
            return;
        }
        if (!driver.supportsBacking()) {
            throw new org.jblock.api.UnsupportedFeatureException("Backing file not supported for file format '"
                    + format + "'");
        }
        BackingImage backing = openBacking(path, backingName, backingFormat);
        try (BlockImage image = backing.image()) {
            create(path, driver, size < 0 ? image.size() : size, options, backing);
        }
    }

    /**
     * Opens, read-only with a shared lock and its own chain, the image {@code name} as the backing
     * image of the image at {@code path} would be opened: a relative name next to {@code path}. The
     * image at {@code path} may not be found in the new backing image's chain.
     *
     * @param format the backing image's format, or null to probe it
     * @return the image, and the name and absolute location to record; the caller closes the image
     *         (or hands it to {@link BlockImage#changeBacking})
     * @throws java.nio.file.NoSuchFileException when nothing is there
     */
    public BackingImage openBacking(Path path, String name, String format) throws IOException {
        BlockImage backing = ChainOpener.forNew(this, path).open(name, format);
        String location = Path.of(backing.name()).toAbsolutePath().normalize().toString();
        return new BackingImage(name, location, backing);
    }

    private void create(Path path, BlockDriver driver, long size, String options, BackingImage backing)
            throws IOException {
        Options parsed = checkedCreateOptions(driver, size, options);
        boolean existed = Files.exists(path);
        LocalBlockFile file = existed ? LocalBlockFile.open(path, false) : LocalBlockFile.create(path);
        try {
            file.lock(BlockFile.LockMode.EXCLUSIVE);
            if (existed) {
                file.truncate(0);
            }
            createIn(driver, new CreateRequest(file, size, parsed, backing));
            file.flush();
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(file, e);
            if (!existed) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException deleteFailure) {
                    e.addSuppressed(deleteFailure);
                }
            }
            throw e;
        }
        file.close();
    }

    /** Creates an image of {@code format} in {@code file}, which stays open. */
    public void create(BlockFile file, String format, long size, String options) throws IOException {
        BlockDriver driver = driver(format);
        createIn(driver, new CreateRequest(file, size, checkedCreateOptions(driver, size, options)));
    }

    private static Options checkedCreateOptions(BlockDriver driver, long size, String options) throws IOException {
        if (size < 0) {
            throw new InvalidOptionException("Invalid image size " + size + ": it must be between 0 and "
                    + Long.MAX_VALUE + " bytes");
        }
        return Options.parse(options, driver.createOptions());
    }

    private static void createIn(BlockDriver driver, CreateRequest request) throws IOException {
        try {
            driver.create(request);
        } catch (RuntimeException e) {
            throw driverBug(driver, "create " + request.file().name(), e);
        }
    }

    private static void closeAfterFailure(BlockFile file, Throwable failure) {
        try {
            file.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
