package org.jblock.registry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * The protocol layer of the registry: the {@link BlockProtocol}s found, and the one place that
 * turns a filename or an option map into a protocol and its options (QEMU's
 * {@code bdrv_find_protocol} and {@code bdrv_fill_options}).
 *
 * <ul>
 *   <li>A filename has a protocol prefix when its first ':' comes before any '/': {@code nbd://h/x},
 *       {@code nbd:unix:/s}, {@code file:a:b.vhd}; the protocol that claims the prefix parses the
 *       name into options. An unclaimed prefix is {@code Unknown protocol 'PREFIX'}. Any other name
 *       is a path for the {@code file} protocol ({@code ./a:b.vhd} escapes a colon).</li>
 *   <li>{@code json:{...}} is options written as a JSON object ({@link ImageOpts#json}).</li>
 *   <li>An option map names its protocol with {@code driver=}; without one, {@code filename=} is a
 *       local path (as in QEMU, a prefix counts only in a filename, not in an option).</li>
 *   <li>The keys of a filter's children ({@code image.filename=...}) go to the child, opened through
 *       this same class; a child given as a plain value ({@code image=nbd://h/x}) is a filename.</li>
 * </ul>
 */
final class Protocols {
    static final String DRIVER = "driver";
    static final String FILENAME = "filename";
    private static final String JSON = "json";

    private static final Set<String> BUILT_IN_NAMES = Set.of(BlockProtocol.FILE);
    private static final String BUILT_IN_PACKAGE_PREFIX = "org.jblock.protocol.";
    private static final Pattern VALID_NAME = Pattern.compile("[a-z][a-z0-9_-]*");
    private static final Pattern VALID_PREFIX = Pattern.compile("[a-z][a-z0-9+._-]*");

    private final Map<String, BlockProtocol> byName;
    private final Map<String, BlockProtocol> byPrefix;
    private final List<DriverProblem> problems;

    private Protocols(Registration registration) {
        this.byName = Map.copyOf(registration.byName);
        this.byPrefix = Map.copyOf(registration.byPrefix);
        this.problems = List.copyOf(registration.problems);
    }

    /** The protocols {@code loader} finds, except those whose names clash with {@code formats}. */
    static Protocols load(ServiceLoader<BlockProtocol> loader, Set<String> formats) {
        Registration registration = new Registration(formats);
        Discovery.load(loader, "protocol", registration);
        return new Protocols(registration);
    }

    /** Exactly these protocols. */
    static Protocols of(Collection<? extends BlockProtocol> protocols, Set<String> formats) {
        Registration registration = new Registration(formats);
        protocols.forEach(registration::add);
        return new Protocols(registration);
    }

    /** Collects protocols, refusing those that break the rules (as drivers are refused). */
    private static final class Registration implements Discovery.Sink<BlockProtocol> {
        final Set<String> formats;
        final Map<String, BlockProtocol> byName = new TreeMap<>();
        final Map<String, BlockProtocol> byPrefix = new TreeMap<>();
        final List<DriverProblem> problems = new ArrayList<>();

        Registration(Set<String> formats) {
            this.formats = formats;
        }

        @Override
        public void add(BlockProtocol protocol) {
            String provider = Discovery.origin(protocol.getClass());
            String name;
            Set<String> prefixes;
            try {
                name = protocol.name();
                prefixes = Set.copyOf(protocol.prefixes());
            } catch (RuntimeException e) {
                problem(provider, "the protocol's name() or prefixes() failed: " + e, e);
                return;
            }
            if (name == null || !VALID_NAME.matcher(name).matches()) {
                problem(provider, "'" + name + "' is not a protocol name (lower-case letters, digits, '-' and '_',"
                        + " starting with a letter); the protocol is not registered", null);
                return;
            }
            if (BUILT_IN_NAMES.contains(name) && !Discovery.livesIn(protocol.getClass(), BUILT_IN_PACKAGE_PREFIX + name)) {
                problem(provider, "the name '" + name + "' is reserved for jblock's own protocol in the package "
                        + BUILT_IN_PACKAGE_PREFIX + name + "; the protocol is not registered", null);
                return;
            }
            if (formats.contains(name) || byName.containsKey(name)) {
                problem(provider, "the name '" + name + "' is already taken by a "
                        + (formats.contains(name) ? "format" : "protocol") + "; the protocol is not registered", null);
                return;
            }
            for (String prefix : prefixes) {
                if (prefix.equals(JSON)) {
                    problem(provider, "the prefix 'json:' belongs to QEMU's json:{...} filenames; the protocol is not"
                            + " registered", null);
                    return;
                }
                if (!VALID_PREFIX.matcher(prefix).matches()) {
                    problem(provider, "'" + prefix + "' is not a filename prefix (a URI scheme: lower-case letters,"
                            + " digits, '+', '.', '-' and '_'); the protocol is not registered", null);
                    return;
                }
                BlockProtocol taken = byPrefix.get(prefix);
                if (taken != null) {
                    problem(provider, "the prefix '" + prefix + ":' is already claimed by the protocol '"
                            + taken.name() + "'; the protocol is not registered", null);
                    return;
                }
            }
            byName.put(name, protocol);
            for (String prefix : prefixes) {
                byPrefix.put(prefix, protocol);
            }
        }

        @Override
        public void problem(String provider, String message, Throwable cause) {
            Discovery.problem(problems, "Protocol", provider, message, cause);
        }
    }

    /** @return the protocols, sorted by name */
    Collection<BlockProtocol> all() {
        return new TreeMap<>(byName).values();
    }

    List<DriverProblem> problems() {
        return problems;
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    /** @return whether {@code filename} names storage of a protocol other than {@code file} ({@code ssh://h/x}) */
    boolean isRemote(String filename) {
        String prefix = prefixOf(filename);
        BlockProtocol protocol = prefix == null ? null : byPrefix.get(prefix);
        return protocol != null && !protocol.name().equals(BlockProtocol.FILE);
    }

    /**
     * QEMU's {@code path_has_protocol}: the text before the first ':', when no '/' comes first.
     *
     * @return the prefix, or null for a plain path
     */
    static String prefixOf(String filename) {
        int colon = filename.indexOf(':');
        int slash = filename.indexOf('/');
        return colon < 0 || (slash >= 0 && slash < colon) ? null : filename.substring(0, colon);
    }

    /**
     * The protocol options {@code filename} stands for, {@code driver} included.
     *
     * @throws InvalidOptionException for a prefix no protocol claims, or a name its protocol refuses
     */
    Map<String, String> parse(String filename) throws IOException {
        if (ImageOpts.isJson(filename)) {
            return ImageOpts.json(filename);
        }
        String prefix = prefixOf(filename);
        BlockProtocol protocol;
        if (prefix == null) {
            protocol = protocol(BlockProtocol.FILE);
        } else {
            protocol = byPrefix.get(prefix);
            if (protocol == null) {
                throw new InvalidOptionException("Unknown protocol '" + prefix + "'");
            }
        }
        Map<String, String> options = new LinkedHashMap<>();
        options.put(DRIVER, protocol.name());
        try {
            options.putAll(protocol.parseFilename(filename));
        } catch (RuntimeException e) {
            throw bug(protocol, "parse the filename '" + filename + "'", e);
        }
        return options;
    }

    /**
     * @return the protocol of that name
     * @throws InvalidOptionException listing the names that exist
     */
    BlockProtocol protocol(String name) throws InvalidOptionException {
        BlockProtocol protocol = byName.get(name);
        if (protocol == null) {
            throw new InvalidOptionException("Unknown protocol driver '" + name + "' (known protocols: "
                    + (byName.isEmpty() ? "none; is the module org.jblock.protocol.file missing?"
                    : String.join(", ", new TreeMap<>(byName).keySet())) + ")");
        }
        return protocol;
    }

    /** Opens the storage {@code filename} names. */
    BlockFile open(String filename, boolean readOnly, BlockFile.LockMode lock) throws IOException {
        return open(parse(filename), readOnly, lock);
    }

    /** Opens the storage {@code options} describe ({@code driver=...} and the protocol's keys). */
    BlockFile open(Map<String, String> options, boolean readOnly, BlockFile.LockMode lock) throws IOException {
        Resolved resolved = resolve(options);
        try {
            return resolved.protocol.open(resolved.request(readOnly, lock));
        } catch (RuntimeException e) {
            throw bug(resolved.protocol, "open " + options, e);
        }
    }

    /** Creates (or empties) the storage {@code options} describe and opens it for writing, locked. */
    BlockFile create(Map<String, String> options) throws IOException {
        Resolved resolved = resolve(options);
        try {
            return resolved.protocol.create(resolved.request(false, BlockFile.LockMode.EXCLUSIVE));
        } catch (RuntimeException e) {
            throw bug(resolved.protocol, "create " + options, e);
        }
    }

    /** A protocol with its checked options and its children's options. */
    private final class Resolved {
        final BlockProtocol protocol;
        final Options options;
        final Map<String, String> all;
        /** The node's {@code cache.direct}, which its children inherit; null when not given. */
        final String direct;

        Resolved(BlockProtocol protocol, Options options, Map<String, String> all, String direct) {
            this.protocol = protocol;
            this.options = options;
            this.all = all;
            this.direct = direct;
        }

        ProtocolRequest request(boolean readOnly, BlockFile.LockMode lock) {
            return new ProtocolRequest(options, readOnly, lock, (child, childReadOnly, childLock) -> {
                Map<String, String> options = childOptions(protocol, all, child);
                if (direct != null) {
                    options.putIfAbsent(BlockProtocol.CACHE_DIRECT, direct);
                }
                return open(options, childReadOnly, childLock);
            });
        }
    }

    /**
     * @return whether {@code protocol} honours {@code cache.direct}; every node takes the option
     *         (QEMU's cache modes), and for the others it changes nothing
     */
    private static boolean takesDirect(BlockProtocol protocol) {
        return protocol.openOptions().stream().anyMatch(o -> o.name().equals(BlockProtocol.CACHE_DIRECT));
    }

    private Resolved resolve(Map<String, String> given) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(given);
        String driver = all.remove(DRIVER);
        if (driver == null && !all.containsKey(FILENAME)) {
            throw new InvalidOptionException("A protocol needs a 'driver' or a 'filename' option");
        }
        BlockProtocol protocol = protocol(driver == null ? BlockProtocol.FILE : driver);
        Set<String> children = protocol.children();
        if (all.containsKey(FILENAME) && !children.isEmpty()
                && protocol.openOptions().stream().noneMatch(o -> o.name().equals(FILENAME))) {
            // A filter's filename without its prefix names its child (QEMU's blkdebug x-image).
            String child = new TreeMap<>(Map.of(children.iterator().next(), "")).firstKey();
            String filename = all.remove(FILENAME);
            all.putIfAbsent(child, filename);
        }
        String direct = all.remove(BlockProtocol.CACHE_DIRECT);
        Map<String, String> own = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (!children.contains(head(e.getKey()))) {
                own.put(e.getKey(), e.getValue());
            }
        }
        if (direct != null && takesDirect(protocol)) {
            own.put(BlockProtocol.CACHE_DIRECT, direct);
        }
        try {
            return new Resolved(protocol, Options.of(own, protocol.openOptions()), all, direct);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Block protocol '" + protocol.name() + "': " + e.getMessage());
        }
    }

    /** The options of {@code child}: its {@code child.*} keys, over a filename given as {@code child=NAME}. */
    private Map<String, String> childOptions(BlockProtocol parent, Map<String, String> all, String child)
            throws IOException {
        if (!parent.children().contains(child)) {
            throw new InvalidOptionException("Block protocol '" + parent.name() + "' has no child '" + child + "'");
        }
        Map<String, String> options = new LinkedHashMap<>();
        String filename = all.get(child);
        if (filename != null) {
            options.putAll(parse(filename));
        }
        String prefix = child + ".";
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                options.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        if (options.isEmpty()) {
            throw new InvalidOptionException("Block protocol '" + parent.name() + "' needs its child '" + child
                    + "' (give " + child + ".filename=... or " + child + ".driver=...)");
        }
        return options;
    }

    /** @return the first segment of a dotted key */
    static String head(String key) {
        int dot = key.indexOf('.');
        return dot < 0 ? key : key.substring(0, dot);
    }

    private static BlockException bug(BlockProtocol protocol, String what, RuntimeException e) {
        return new BlockException("Protocol driver '" + protocol.name() + "' failed to " + what + ": " + e, e);
    }
}
