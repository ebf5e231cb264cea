package org.jblock.registry;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.ImageInfo;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.UserObjects;
import org.jblock.api.layer.CopyOnRead;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.BlockFilter;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.FilterRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.DelegatingBlockImage;

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
 * <p>Protocols ({@link BlockProtocol}: where the bytes are, a local file, an NBD export...) are
 * found the same way and isolated the same way; {@code file} is reserved for
 * {@code org.jblock.protocol.file}, and a protocol may not take a format's name or another
 * protocol's filename prefix.
 *
 * <h2>Names</h2>
 * An image is named as in QEMU (see {@link #open(String, OpenSpec)}): a path, a filename with a
 * protocol prefix ({@code nbd://host/export}, {@code file:a:b.vhd}), or options
 * ({@link #open(Map, OpenSpec)}: {@code driver=vpc,file.driver=file,file.filename=a.vhd}).
 * {@link #openFile} opens the storage alone, without a format: what a backing-image opener uses.
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
 * registry opens it through the protocol layer next to the child's file (an absolute name, or one
 * with a protocol prefix, as it is), probing its format unless the driver names one, read-only with
 * a shared lock ({@link ChainMode}), and so on down the chain. A chain deeper than
 * {@value ChainOpener#MAX_DEPTH} images, or one that comes back to an image above, is refused. Each
 * image owns its backing image: closing the top closes the chain. The top image's open options are
 * passed down: each layer's driver takes those it knows (so that {@code ignore_checksums=on}
 * rescues a whole chain).
 *
 * <h2>Locking</h2>
 * Opening by name locks the storage through its protocol (the local file takes QEMU's image locks):
 * writers exclusively, readers shared, against opens in this process and in others. A second writer
 * gets {@link org.jblock.api.ImageLockedException} ({@code Failed to get "write" lock}).
 * {@link OpenSpec#forceShare()} lets everybody in, for read-only opens only.
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
    private static final String FILE_CHILD = "file";

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
    private final Protocols protocols;
    private final Filters filters;
    private final UserObjects objects;
    private final List<DriverProblem> problems;

    private DriverRegistry(Registration registration, Protocols protocols, Filters filters) {
        this.drivers = Collections.unmodifiableMap(registration.byName);
        this.protocols = protocols;
        this.filters = filters;
        this.objects = UserObjects.NONE;
        List<DriverProblem> all = new ArrayList<>(registration.problems);
        all.addAll(protocols.problems());
        all.addAll(filters.problems());
        this.problems = List.copyOf(all);
    }

    private DriverRegistry(DriverRegistry registry, UserObjects objects) {
        this.drivers = registry.drivers;
        this.protocols = registry.protocols;
        this.filters = registry.filters;
        this.objects = objects;
        this.problems = registry.problems;
    }

    /**
     * @return this registry, with {@code objects} (QEMU's {@code --object}: throttle groups) for the
     *         images it opens to name
     */
    public DriverRegistry withObjects(UserObjects objects) {
        return new DriverRegistry(this, java.util.Objects.requireNonNull(objects));
    }

    /** The drivers and protocols visible to this module (its layer on the module path, or the class path). */
    public static DriverRegistry load() {
        ModuleLayer layer = DriverRegistry.class.getModule().getLayer();
        return layer != null ? load(layer) : load(DriverRegistry.class.getClassLoader());
    }

    /** The drivers and protocols in {@code layer} and its parents. */
    public static DriverRegistry load(ModuleLayer layer) {
        return from(ServiceLoader.load(layer, BlockDriver.class), ServiceLoader.load(layer, BlockProtocol.class),
                ServiceLoader.load(layer, BlockFilter.class));
    }

    /** The drivers and protocols {@code loader} sees (the class path, or a plugin folder's loader). */
    public static DriverRegistry load(ClassLoader loader) {
        return from(ServiceLoader.load(BlockDriver.class, loader), ServiceLoader.load(BlockProtocol.class, loader),
                ServiceLoader.load(BlockFilter.class, loader));
    }

    private static DriverRegistry from(ServiceLoader<BlockDriver> drivers, ServiceLoader<BlockProtocol> protocols,
                                       ServiceLoader<BlockFilter> filters) {
        Registration registration = new Registration();
        Discovery.load(drivers, "driver", registration);
        return new DriverRegistry(registration, Protocols.load(protocols, registration.byName.keySet()),
                Filters.load(filters, registration.byName.keySet()));
    }

    /**
     * A registry of exactly these drivers (for tests and embedding), checked as loaded ones are, with
     * the protocols this module sees (as {@link #load()} finds them).
     */
    public static DriverRegistry of(BlockDriver... drivers) {
        Registration registration = registered(drivers);
        ModuleLayer layer = DriverRegistry.class.getModule().getLayer();
        ServiceLoader<BlockProtocol> protocols = layer != null ? ServiceLoader.load(layer, BlockProtocol.class)
                : ServiceLoader.load(BlockProtocol.class, DriverRegistry.class.getClassLoader());
        ServiceLoader<BlockFilter> filters = layer != null ? ServiceLoader.load(layer, BlockFilter.class)
                : ServiceLoader.load(BlockFilter.class, DriverRegistry.class.getClassLoader());
        return new DriverRegistry(registration, Protocols.load(protocols, registration.byName.keySet()),
                Filters.load(filters, registration.byName.keySet()));
    }

    /** A registry of exactly these drivers and protocols, checked as loaded ones are. */
    public static DriverRegistry of(List<? extends BlockDriver> drivers, List<? extends BlockProtocol> protocols) {
        Registration registration = registered(drivers.toArray(new BlockDriver[0]));
        return new DriverRegistry(registration, Protocols.of(protocols, registration.byName.keySet()),
                Filters.of(List.of(), registration.byName.keySet()));
    }

    private static Registration registered(BlockDriver... drivers) {
        Registration registration = new Registration();
        for (BlockDriver driver : drivers) {
            registration.add(driver);
        }
        return registration;
    }

    /** Collects drivers while a registry is built, refusing those that break the rules. */
    private static final class Registration implements Discovery.Sink<BlockDriver> {
        final Map<String, Entry> byName = new TreeMap<>();
        final List<DriverProblem> problems = new ArrayList<>();

        @Override
        public void add(BlockDriver driver) {
            String provider = Discovery.origin(driver.getClass());
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
                problem(provider, "the name '" + name + "' is already taken by " + Discovery.origin(taken.driver().getClass())
                        + "; the driver is not registered", null);
                return;
            }
            // Not logged: a debug line per driver would create the logger on every start (see Log);
            // drivers() lists what is registered.
            byName.put(name, new Entry(driver, builtIn));
        }

        @Override
        public void problem(String provider, String message, Throwable cause) {
            Discovery.problem(problems, "Driver", provider, message, cause);
        }
    }

    /** Built-in: a reserved name, from its own package (and its own module, on the module path). */
    private static boolean isBuiltIn(Class<?> type, String name) {
        return BUILT_IN_NAMES.contains(name) && Discovery.livesIn(type, BUILT_IN_PACKAGE_PREFIX + name);
    }

    /** @return every registered driver, sorted by name */
    public List<BlockDriver> drivers() {
        return drivers.values().stream().map(Entry::driver).collect(Collectors.toUnmodifiableList());
    }

    /** @return every registered driver with its options, sorted by name */
    public List<DriverInfo> describe() {
        return drivers.values().stream().map(DriverRegistry::info).collect(Collectors.toUnmodifiableList());
    }

    private static DriverInfo info(Entry e) {
        return new DriverInfo(e.name(), e.driver().description(), e.builtIn(), e.driver().openOptions(),
                e.driver().createOptions(), e.driver().supportsBacking());
    }

    /**
     * @return the driver of that name, as listings show it
     * @throws UnknownFormatException listing the names that exist
     */
    public DriverInfo describe(String name) throws UnknownFormatException {
        return info(drivers.get(driver(name).name()));
    }

    /**
     * @return the driver a probe of the image {@code filename} names picks, read without a lock
     * @throws NoUsableDriverException when no driver recognises it
     */
    public DriverInfo probe(String filename) throws IOException {
        try (BlockFile file = protocols.open(filename, true, BlockFile.LockMode.SHARE_ALL)) {
            return describe(probeFormat(file));
        }
    }

    /**
     * @return the name of the format that wins the probe of {@code file}
     * @throws NoUsableDriverException when no driver recognises it, with each driver's reason
     */
    public String probeFormat(BlockFile file) throws IOException {
        return probe(file).name();
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
     * Opens the image in the local file at {@code path}, locking the file as {@code spec} says. The
     * path is taken as it is: a colon in it is no protocol prefix.
     *
     * @throws InvalidOptionException when force-share is asked of a writable open
     * @throws org.jblock.api.ImageLockedException when another open holds a conflicting lock
     */
    public BlockImage open(Path path, OpenSpec spec) throws IOException {
        return open(path, spec, ChainMode.READ_ONLY_BACKING);
    }

    /** As {@link #open(Path, OpenSpec)}, with the backing chain opened as {@code chain} says. */
    public BlockImage open(Path path, OpenSpec spec, ChainMode chain) throws IOException {
        Generic generic = Generic.of(spec);
        return generic.finish(openOn(localFile(path), spec.format(), generic.spec(), false, top(chain, generic.spec())));
    }

    /**
     * QEMU's options of every node, which no driver takes: {@code copy-on-read=on|off} (off by
     * default) puts {@link CopyOnRead} over the image opened.
     */
    private record Generic(OpenSpec spec, boolean copyOnRead) {
        static final String COPY_ON_READ = "copy-on-read";

        static Generic of(OpenSpec spec) throws InvalidOptionException {
            Map<String, String> options = Options.split(spec.options());
            String value = options.remove(COPY_ON_READ);
            return value == null ? new Generic(spec, false)
                    : new Generic(spec.withOptions(Options.join(options)), onOff(value));
        }

        /** Takes the generic options out of {@code options}, and out of {@code spec}'s. */
        static Generic of(Map<String, String> options, OpenSpec spec) throws InvalidOptionException {
            String value = options.remove(COPY_ON_READ);
            Generic fromSpec = of(spec);
            return new Generic(fromSpec.spec(), fromSpec.copyOnRead() || (value != null && onOff(value)));
        }

        private static boolean onOff(String value) throws InvalidOptionException {
            return OptionSpec.bool(COPY_ON_READ, false, "").parse(value);
        }

        /** @return {@code image} with the node-independent layers the open asked for: writethrough, then copy-on-read */
        BlockImage finish(BlockImage image) throws IOException {
            BlockImage cached = spec.cache().over(image);
            return copyOnRead ? CopyOnRead.over(cached) : cached;
        }
    }

    /** The protocol layer's description of the local file at {@code path}. */
    static Map<String, String> localFile(Path path) {
        Map<String, String> file = new LinkedHashMap<>();
        file.put(Protocols.DRIVER, BlockProtocol.FILE);
        file.put(Protocols.FILENAME, path.toString());
        return file;
    }

    /** The opener of the backing images of a top image opened as {@code spec}. */
    private Function<BlockFile, BackingOpener> top(ChainMode chain, OpenSpec spec) {
        return file -> ChainOpener.forTop(this, chain, spec.options(), spec.cache(), file);
    }

    /**
     * Opens the image a user named, as QEMU's tools take names:
     * <ul>
     *   <li>a path ({@code disk.vhd}, {@code ./a:b.vhd});</li>
     *   <li>a filename with a protocol prefix, when its first ':' comes before any '/':
     *       {@code nbd://host/export}, {@code nbd+unix:///x?socket=/s.sock}, {@code file:a:b.vhd};
     *       a prefix no protocol claims is {@code Unknown protocol 'PREFIX'};</li>
     *   <li>{@code json:{...}}: options as a JSON object, as {@link #open(Map, OpenSpec)} takes them
     *       once flattened ({@code {"file":{"filename":"a.vhd"}}} is {@code file.filename=a.vhd}).</li>
     * </ul>
     * The format is {@code spec}'s, or probed.
     *
     * @throws InvalidOptionException for a name that names nothing, or force-share on a writable open
     * @throws org.jblock.api.ImageLockedException when another open holds a conflicting lock
     */
    public BlockImage open(String filename, OpenSpec spec) throws IOException {
        return open(filename, spec, ChainMode.READ_ONLY_BACKING);
    }

    /** As {@link #open(String, OpenSpec)}, with the backing chain opened as {@code chain} says. */
    public BlockImage open(String filename, OpenSpec spec, ChainMode chain) throws IOException {
        if (ImageOpts.isJson(filename)) {
            return open(ImageOpts.json(filename), spec);
        }
        String format = spec.format();
        if (format != null && !drivers.containsKey(format) && (filters.get(format) != null || protocols.has(format))) {
            // A filter or a protocol named as the format (qemu-io's open -o driver=blkdebug,... NAME):
            // the name is its child's (QEMU's x-image) or its own filename.
            Map<String, String> options = new LinkedHashMap<>();
            options.put(Protocols.DRIVER, format);
            options.put(Protocols.FILENAME, filename);
            return open(options, spec.withFormat(null));
        }
        Generic generic = Generic.of(spec);
        return generic.finish(openOn(protocols.parse(filename), format, generic.spec(), false,
                top(chain, generic.spec())));
    }

    /**
     * Opens the image {@code options} describe, with QEMU's keys ({@code --image-opts}):
     * {@code driver} is the format (probed when absent), the keys under {@code file.} describe its
     * storage ({@code file.driver=nbd,file.server.path=...}; {@code file.filename=} alone is a local
     * path; {@code file=NAME} is a filename as {@link #open(String, OpenSpec)} takes it), and the
     * other keys are the format's open options. When {@code driver} names a protocol, the image is
     * that storage, read as raw ({@code driver=nbd,server.type=unix,server.path=/s.sock}), whose
     * {@link BlockImage#info()} names the protocol as its format, as QEMU's info does ({@code nbd}).
     * {@link ImageOpts} parses QEMU's {@code --image-opts} strings and {@code json:} filenames into
     * such maps; {@code spec}'s own options win over the map's.
     *
     * @throws InvalidOptionException for an unknown key or driver, or both a driver and a format in {@code spec}
     */
    public BlockImage open(Map<String, String> options, OpenSpec spec) throws IOException {
        Map<String, String> rest = new LinkedHashMap<>(options);
        Generic generic = Generic.of(rest, spec);
        return generic.finish(openNode(rest, generic.spec()));
    }

    private BlockImage openNode(Map<String, String> rest, OpenSpec spec) throws IOException {
        String driver = rest.get(Protocols.DRIVER);
        if (driver != null && spec.format() != null && !driver.equals(spec.format())) {
            throw new InvalidOptionException("Cannot use the format '" + spec.format() + "' with the driver '"
                    + driver + "'");
        }
        BlockFilter filter = filters.get(driver);
        if (filter != null) {
            Map<String, String> all = new LinkedHashMap<>(rest);
            all.putAll(Options.split(spec.options()));
            if (!protocols.has(driver) || namesNode(all, filter.child())) {
                return openFilter(filter, all, spec.withFormat(null).withOptions(""));
            }
        }
        if (driver != null && !drivers.containsKey(driver) && protocols.has(driver)) {
            return protocolNode(openOn(rest, RAW, spec, false, top(ChainMode.READ_ONLY_BACKING, spec)), driver);
        }
        rest.remove(Protocols.DRIVER);
        Map<String, String> file = new LinkedHashMap<>();
        String filename = rest.remove(FILE_CHILD);
        if (filename != null) {
            file.putAll(protocols.parse(filename));
        }
        String storageName = rest.remove(Protocols.FILENAME);
        if (storageName != null) {
            // A format's filename= is its file's (QEMU's bdrv_fill_options), a path with no prefix parsed.
            file.putIfAbsent(Protocols.FILENAME, storageName);
        }
        Map<String, String> formatOptions = new LinkedHashMap<>();
        String prefix = FILE_CHILD + ".";
        for (Map.Entry<String, String> e : rest.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                file.put(e.getKey().substring(prefix.length()), e.getValue());
            } else {
                formatOptions.put(e.getKey(), e.getValue());
            }
        }
        if (file.isEmpty()) {
            throw new InvalidOptionException("A block device must be specified for \"file\"");
        }
        // Options given apart from the map (-o) win, as QEMU's explicit options win over json: ones.
        Map<String, String> merged = new LinkedHashMap<>(formatOptions);
        merged.putAll(Options.split(spec.options()));
        OpenSpec withOptions = spec.withOptions(Options.join(merged));
        String format = driver != null ? driver : spec.format();
        BlockImage image = openOn(file, format, withOptions, false, top(ChainMode.READ_ONLY_BACKING, withOptions));
        String jsonName = strongName(format, merged, file);
        return jsonName == null ? image : new NamedImage(image, jsonName);
    }

    /**
     * The {@code json:} name of an image of {@code format} opened with options that change what it
     * presents ({@link OptionSpec#isStrong}: raw's {@code offset}), as QEMU names such an image: the
     * driver, those options and its file's; null when none is set, and the image keeps its file's name.
     */
    private String strongName(String format, Map<String, String> options, Map<String, String> file) throws IOException {
        Entry entry = format == null ? null : drivers.get(format);
        if (entry == null) {
            return null;
        }
        BlockDriver driver = entry.driver();
        Map<String, String> named = new LinkedHashMap<>();
        named.put(Protocols.DRIVER, format);
        for (OptionSpec<?> option : driver.openOptions()) {
            if (option.isStrong() && options.containsKey(option.name())) {
                named.put(option.name(), options.get(option.name()));
            }
        }
        if (named.size() == 1) {
            return null;
        }
        // The file as QEMU fills it in: a filename alone stands for its protocol's options.
        Map<String, String> child = new LinkedHashMap<>();
        if (!file.containsKey(Protocols.DRIVER) && file.containsKey(Protocols.FILENAME)) {
            child.putAll(protocols.parse(file.get(Protocols.FILENAME)));
        }
        child.putAll(file);
        for (Map.Entry<String, String> e : child.entrySet()) {
            if (!NOT_IN_NAMES.contains(e.getKey()) && !e.getKey().startsWith("cache.")) {
                named.put(FILE_CHILD + "." + e.getKey(), e.getValue());
            }
        }
        return ImageOpts.jsonName(named);
    }

    /**
     * Options of a file that QEMU leaves out of the names it makes, as they change how the file is
     * used, not what it holds (the {@code cache.*} ones too).
     */
    private static final Set<String> NOT_IN_NAMES = Set.of("locking", "aio", "aio-max-batch", "drop-cache",
            "read-only", "auto-read-only", "force-share", "discard", "detect-zeroes");

    /** @return whether the options of {@code child} name a format or a filter (a node with a virtual disk), not storage */
    private boolean namesNode(Map<String, String> options, String child) {
        String driver = options.get(child + "." + Protocols.DRIVER);
        return driver != null && (drivers.containsKey(driver) || filters.get(driver) != null);
    }

    /**
     * Opens the image below {@code filter} from the keys under its child (a filename given beside
     * them is the child's), then the filter over it with the other keys.
     */
    private BlockImage openFilter(BlockFilter filter, Map<String, String> all, OpenSpec spec) throws IOException {
        String childName = filter.child();
        String prefix = childName + ".";
        Map<String, String> child = new LinkedHashMap<>();
        Map<String, String> own = new LinkedHashMap<>();
        String childFilename = null;
        String filename = null;
        for (Map.Entry<String, String> e : all.entrySet()) {
            String key = e.getKey();
            if (key.equals(Protocols.DRIVER)) {
                continue;
            } else if (key.equals(childName)) {
                childFilename = e.getValue();
            } else if (key.startsWith(prefix)) {
                child.put(key.substring(prefix.length()), e.getValue());
            } else if (key.equals(Protocols.FILENAME)) {
                filename = e.getValue();
            } else {
                own.put(key, e.getValue());
            }
        }
        Options options;
        try {
            options = Options.of(own, filter.openOptions());
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Block filter '" + filter.name() + "': " + e.getMessage());
        }
        BlockImage below;
        if (child.isEmpty() && childFilename != null) {
            below = open(childFilename, spec);
        } else {
            String name = childFilename != null ? childFilename : filename;
            if (name != null) {
                child.putIfAbsent(Protocols.FILENAME, name);
            }
            if (child.isEmpty()) {
                throw new InvalidOptionException("A block device must be specified for \"" + childName + "\"");
            }
            below = openNode(child, spec);
        }
        try {
            BlockImage image = filter.open(new FilterRequest(below, options, spec.readOnly(), objects));
            if (image == null) {
                throw new BlockException("Filter '" + filter.name() + "' opened nothing");
            }
            return image;
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(below, e);
            if (e instanceof RuntimeException) {
                throw new BlockException("Filter '" + filter.name() + "' failed to open: " + e, e);
            }
            throw e;
        }
    }

    /** @return the names of the registered filters (copy-on-read, throttle, blkdebug above a format), sorted */
    public List<String> filterNames() {
        return filters.all().stream().map(BlockFilter::name).collect(Collectors.toUnmodifiableList());
    }

    /**
     * Opens the storage a filename names, without a format: the protocol layer alone. This is how a
     * backing image's name is opened ({@code openFile(location, true, LockMode.SHARED)}), the
     * format then coming from {@link #open(BlockFile, OpenSpec)}.
     *
     * @param filename a path or a filename with a protocol prefix, as {@link #open(String, OpenSpec)} takes it
     * @param lock     how to hold it against other opens
     * @return the open storage; the caller closes it
     */
    public BlockFile openFile(String filename, boolean readOnly, BlockFile.LockMode lock) throws IOException {
        return protocols.open(filename, readOnly, lock);
    }

    /** As {@link #openFile(String, boolean, BlockFile.LockMode)}, for storage given by options. */
    public BlockFile openFile(Map<String, String> options, boolean readOnly, BlockFile.LockMode lock)
            throws IOException {
        return protocols.open(options, readOnly, lock);
    }

    /**
     * The storage options a filename stands for: its protocol as {@code driver} and that protocol's
     * keys ({@code blkdebug::t.vhd} is {@code driver=blkdebug,config=,image=t.vhd}; a path is
     * {@code driver=file,filename=PATH}). A tool that takes a name beside options for its storage
     * ({@code file.align=4k} with {@code blkdebug::t.vhd}) puts these under {@code file.}.
     *
     * @throws InvalidOptionException for a prefix no protocol claims, or a name its protocol refuses
     */
    public Map<String, String> storageOptions(String filename) throws IOException {
        return protocols.parse(filename);
    }

    /**
     * Tells the protocols of the storage {@code names} name that opens may follow
     * ({@link BlockProtocol#prepare}), so that their own start-up work runs while the caller does
     * its: a tool calls this with its arguments as soon as it knows it will open images. What names
     * no storage (an option, a number, an unknown prefix) is passed over. Returns at once; a
     * protocol whose hint fails is left as it is.
     */
    public void prepareProtocols(Collection<String> names) {
        for (String name : names) {
            try {
                Map<String, String> options = protocols.parse(name);
                protocols.protocol(options.get(Protocols.DRIVER)).prepare(options);
            } catch (IOException | RuntimeException e) {
                // Only a hint: what is wrong with the name, its open says.
            }
        }
    }

    /** @return the names of the registered protocols, sorted */
    public List<String> protocolNames() {
        return protocols.all().stream().map(BlockProtocol::name).collect(Collectors.toUnmodifiableList());
    }

    /** @return {@code raw}, saying it is the protocol's node: QEMU's info calls its format {@code file} or {@code nbd} */
    private static BlockImage protocolNode(BlockImage raw, String protocol) {
        return new DelegatingBlockImage(raw) {
            @Override
            public ImageInfo info() throws IOException {
                ImageInfo info = super.info();
                return new ImageInfo(protocol, info.virtualSize(), info.clusterSize(), info.formatSpecific(),
                        info.backing());
            }
        };
    }

    /**
     * @return how an open as {@code spec} first locks its storage, before the format is known: as
     *         lightly as any format would (QEMU's raw), so that probing is never refused where the
     *         format turns out to allow the open
     */
    private static BlockFile.LockMode firstLock(OpenSpec spec) {
        return spec.readOnly() ? BlockFile.LockMode.SHARE_ALL : BlockFile.LockMode.WRITE_SHARE_ALL;
    }

    /**
     * @return how an open as {@code spec} of an image in {@code driver}'s format holds its storage:
     *         QEMU's locks, where a format with metadata keeps other writers out and raw does not
     */
    private static BlockFile.LockMode lockFor(OpenSpec spec, BlockDriver driver) {
        if (spec.forceShare()) {
            return firstLock(spec);
        }
        if (!driver.hasMetadata()) {
            if (!spec.fixedSize()) {
                return firstLock(spec);
            }
            return spec.readOnly() ? BlockFile.LockMode.SHARE_ALL_FIXED_SIZE
                    : BlockFile.LockMode.WRITE_SHARE_ALL_FIXED_SIZE;
        }
        return spec.readOnly() ? BlockFile.LockMode.SHARED : BlockFile.LockMode.EXCLUSIVE;
    }

    /**
     * Opens the storage {@code file} describes, then the image of {@code format} (null: probed) on it;
     * {@code backing} opens the layers below it (see {@link ChainOpener}). When {@code file} names a
     * format ({@code file.driver=vpc,file.file.filename=...}), the storage is that image's virtual
     * disk, as in QEMU a format node can be another format's file (that image locks its own storage).
     *
     * @param inherited whether the options are a top image's, passed down a chain: a layer's driver
     *                  then takes those it knows and ignores the rest
     */
    BlockImage openOn(Map<String, String> file, String format, OpenSpec spec, boolean inherited,
                      Function<BlockFile, BackingOpener> backing) throws IOException {
        if (spec.forceShare() && !spec.readOnly()) {
            throw new InvalidOptionException("force-share=on can only be used with read-only images");
        }
        Map<String, String> nodeOptions = Options.split(spec.options());
        NodeCache cache = NodeCache.take(nodeOptions, NodeCache.of(spec.cache()));
        NodeUnmap unmap = NodeUnmap.take(nodeOptions);
        spec = spec.withOptions(Options.join(nodeOptions));
        Map<String, String> storageOptions = new LinkedHashMap<>(file);
        NodeCache storageCache = NodeCache.take(storageOptions, cache);
        String storageDriver = storageOptions.get(Protocols.DRIVER);
        BlockFile storage;
        if (storageDriver != null && drivers.containsKey(storageDriver)) {
            storageCache.putInto(storageOptions);
            storage = new ImageBlockFile(open(storageOptions,
                    spec.withFormat(null).withOptions("").withCache(CacheMode.WRITEBACK)));
        } else {
            storageCache.putDirectInto(storageOptions);
            storage = storageCache.over(protocols.open(storageOptions, spec.readOnly(), firstLock(spec)));
        }
        BlockImage image;
        BlockDriver[] chosen = new BlockDriver[1];
        try {
            image = open(storage, spec.withFormat(format), inherited, backing.apply(storage),
                    driver -> chosen[0] = driver);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(storage, e);
            throw e;
        }
        try {
            BlockFile.LockMode lock = lockFor(spec, chosen[0]);
            if (lock != firstLock(spec)) {
                storage.lock(lock);
            }
            return unmap.over(image);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(image, e);
            throw e;
        }
    }

    /**
     * Opens the image on {@code file} (no locking: the caller owns the file), with its backing chain
     * opened next to {@link BlockFile#location()}. On success the image owns the file; on failure the
     * caller closes it.
     */
    public BlockImage open(BlockFile file, OpenSpec spec) throws IOException {
        return open(file, spec, ChainMode.READ_ONLY_BACKING);
    }

    /**
     * Opens an image whose storage is {@code disk}'s virtual disk, as QEMU puts a format node on
     * another node: {@code qemu-nbd -o OFFSET} serves a raw image with that offset on top of the one
     * it opened. On success the new image owns {@code disk}; on failure the caller still does.
     */
    public BlockImage openOver(BlockImage disk, OpenSpec spec) throws IOException {
        return open(new ImageBlockFile(disk), spec);
    }

    /** {@link #open(BlockFile, OpenSpec)} with the backing chain opened as {@code chain} says. */
    public BlockImage open(BlockFile file, OpenSpec spec, ChainMode chain) throws IOException {
        Map<String, String> nodeOptions = Options.split(spec.options());
        NodeCache cache = NodeCache.take(nodeOptions, NodeCache.of(spec.cache()));
        BlockFile storage = cache.over(file);
        return open(storage, spec.withOptions(Options.join(nodeOptions)), false,
                ChainOpener.forTop(this, chain, spec.options(), spec.cache(), storage), driver -> { });
    }

    /** Opens the image on {@code file}, telling {@code chosen} which driver opened it. */
    private BlockImage open(BlockFile file, OpenSpec spec, boolean inherited, BackingOpener backing,
                            java.util.function.Consumer<BlockDriver> chosen) throws IOException {
        boolean readOnly = spec.readOnly() || file.isReadOnly();
        if (spec.format() != null) {
            return openWith(driver(spec.format()), file, readOnly, spec, inherited, backing, chosen);
        }
        List<Scored> ranked = rank(ProbeInput.read(file));
        if (ranked.isEmpty() || ranked.get(0).score() == 0) {
            throw unrecognised(file.name(), ranked);
        }
        int best = ranked.get(0).score();
        List<Scored> tied = ranked.stream().filter(s -> s.score() == best).collect(Collectors.toList());
        if (tied.size() == 1) {
            return guarded(tied.get(0).entry(), openWith(tied.get(0).entry().driver(), file, readOnly, spec, inherited,
                    backing, chosen), readOnly);
        }
        List<IOException> failures = new ArrayList<>();
        for (Scored candidate : tied) {
            try {
                return guarded(candidate.entry(), openWith(candidate.entry().driver(), file, readOnly, spec, inherited,
                        backing, chosen), readOnly);
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
                                       boolean inherited, BackingOpener backing,
                                       java.util.function.Consumer<BlockDriver> chosen) throws IOException {
        Options options;
        if (inherited) {
            Map<String, String> known = new LinkedHashMap<>(Options.split(spec.options()));
            known.keySet().retainAll(driver.openOptions().stream().map(o -> o.name()).collect(Collectors.toSet()));
            options = Options.of(known, driver.openOptions());
        } else {
            options = Options.parse(spec.options(), driver.openOptions());
        }
        try {
            BlockImage image = driver.open(new OpenRequest(file, readOnly, options, backing));
            chosen.accept(driver);
            return image;
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
            throw new UnsupportedFeatureException("Backing file not supported for file format '" + format + "'");
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
        return openBacking(path, name, format, CacheMode.WRITEBACK);
    }

    /** As {@link #openBacking(Path, String, String)}, the backing chain in cache mode {@code cache}. */
    public BackingImage openBacking(Path path, String name, String format, CacheMode cache) throws IOException {
        BlockImage backing = ChainOpener.forNew(this, path, cache).open(name, format);
        String location = ChainOpener.isProtocolName(name) ? name
                : Path.of(backing.name()).toAbsolutePath().normalize().toString();
        return new BackingImage(name, location, backing);
    }

    private void create(Path path, BlockDriver driver, long size, String options, BackingImage backing)
            throws IOException {
        Options parsed = checkedCreateOptions(driver, size, options);
        boolean existed = Files.exists(path);
        Map<String, String> where = new LinkedHashMap<>();
        where.put(Protocols.DRIVER, BlockProtocol.FILE);
        where.put(Protocols.FILENAME, path.toString());
        BlockFile file = protocols.create(where);
        try {
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

    /**
     * @return whether {@code filename} names storage that a protocol other than {@code file} reaches
     *         ({@code ssh://host/disk.vhd}), which {@link #create(String, String, long, String)}
     *         creates; other names are local paths
     */
    public boolean isProtocolFilename(String filename) {
        return protocols.isRemote(filename);
    }

    /**
     * Creates an image of {@code format}, without a backing file, on the storage a protocol's
     * filename names ({@code ssh://host/disk.vhd}): the protocol creates (or empties) it, as QEMU's
     * {@code bdrv_create_file} does, and the format writes its metadata.
     *
     * @throws org.jblock.api.UnsupportedFeatureException when the protocol cannot create
     */
    public void create(String filename, String format, long size, String options) throws IOException {
        BlockDriver driver = driver(format);
        Options parsed = checkedCreateOptions(driver, size, options);
        BlockFile file = protocols.create(protocols.parse(filename));
        try {
            createIn(driver, new CreateRequest(file, size, parsed));
            file.flush();
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(file, e);
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

    private static void closeAfterFailure(java.io.Closeable file, Throwable failure) {
        try {
            file.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
