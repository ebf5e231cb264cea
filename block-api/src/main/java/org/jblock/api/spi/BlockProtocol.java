package org.jblock.api.spi;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;

/**
 * A protocol: where an image's bytes live (a local file, an NBD export, a web server) and how to
 * reach them; the service a protocol module provides, as {@link BlockDriver} is a format's. Shaped
 * like {@link java.nio.file.spi.FileSystemProvider}: one stateless instance serves every open.
 *
 * <h2>How a name reaches a protocol</h2>
 * The registry turns what a user typed into options, the way QEMU does, and hands them to one
 * protocol:
 * <ul>
 *   <li>a filename with a prefix — {@code nbd://host/x}, {@code nbd:unix:/s.sock}, {@code http://...},
 *       {@code blkdebug:rules.conf:image.vhd}, {@code file:a:b.vhd}: the text before the first
 *       {@code ':'} counts as a prefix only when no {@code '/'} comes before that {@code ':'}; the
 *       protocol that lists it in {@link #prefixes()} gets the whole filename in
 *       {@link #parseFilename}, which turns it into options. A prefix nobody claims is an error
 *       ({@code Unknown protocol 'foo'}).</li>
 *   <li>a filename without a prefix is a local path, for the protocol named {@value #FILE}.</li>
 *   <li>options ({@code --image-opts}, {@code json:{...}}): {@code driver=} names the protocol by
 *       {@link #name()}, with its options under QEMU's keys ({@code driver=nbd,server.type=unix,
 *       server.path=/s.sock,export=x}); for an image, under the format's {@code file.} child.</li>
 * </ul>
 * The registry checks the options against {@link #openOptions()} (dotted names such as
 * {@code server.path} are plain option names) and passes the keys of each child in
 * {@link #children()} on, unchecked, to the child's own protocol.
 *
 * <h2>Cache modes: {@value #CACHE_DIRECT}</h2>
 * QEMU's {@code cache.direct} is an option of every node, which the registry works out from the
 * node's own options, the node above it and the cache mode ({@code -t none}, {@code --nocache}). A
 * protocol whose bytes pass through this host's page cache (a local file or device) lists
 * {@link #DIRECT} in {@link #openOptions()}, gets the value in every request, given or inherited,
 * and with {@code on} bypasses the page cache ({@code O_DIRECT}), serving unaligned requests
 * itself; where the storage cannot bypass it, the open fails. A protocol that does not list it
 * never sees the key: its storage has no page cache of this host to bypass (NBD, HTTP, SSH), and
 * the mode changes nothing there, as in QEMU. A filter's children inherit the value given for the
 * filter. ({@code cache.no-flush} is the registry's alone: it keeps flushes from reaching the
 * storage.)
 *
 * <h2>Filters</h2>
 * A filter (blkdebug) is a protocol that wraps another: it names its child in {@link #children()}
 * ({@code "image"}) and opens it with {@link ProtocolRequest#child(String)}, which resolves the
 * child's options ({@code image.filename=...}, {@code image.driver=nbd,...}) through the registry. A
 * filter never opens storage itself.
 *
 * <h2>Writing a protocol</h2>
 * <ol>
 *   <li>Implement this interface in a {@code public final} class with a public no-argument
 *       constructor; return a {@link BlockFile} from {@link #open} that is safe for concurrent
 *       positional I/O, answers {@link BlockFile#location()} with a name that opens it again, and
 *       lists in {@link BlockFile#capabilities()} what it can do (holes, discard, cheap zeroes).</li>
 *   <li>Register it both ways: {@code provides org.jblock.api.spi.BlockProtocol with ...;} in
 *       {@code module-info.java} and the class name in
 *       {@code META-INF/services/org.jblock.api.spi.BlockProtocol}. Export nothing.</li>
 *   <li>Test it with the contract kit: extend {@code org.jblock.tests.contract.BlockProtocolContract}
 *       (a protocol that writes also declares {@code @Nested class Writing extends WritableFiles {}}
 *       in its test).</li>
 * </ol>
 * Failures are {@link IOException}s, about names and options {@link InvalidOptionException}s; never
 * an unchecked exception.
 */
public interface BlockProtocol {

    /** The name of the local-file protocol, which gets every filename without a prefix. */
    String FILE = "file";

    /** The key of QEMU's {@code cache.direct} option (see the class comment). */
    String CACHE_DIRECT = "cache.direct";

    /**
     * {@code cache.direct=on|off}: bypass this host's page cache. Listed in {@link #openOptions()}
     * by protocols that honour it (see the class comment).
     */
    OptionSpec<Boolean> DIRECT = OptionSpec.bool(CACHE_DIRECT, false,
            "bypass the host's page cache (O_DIRECT); set by cache modes none and directsync");

    /**
     * @return QEMU's driver name ({@code file}, {@code nbd}, {@code http}, {@code blkdebug}): lower
     *         case, unique among protocols and formats, what {@code driver=} selects
     */
    String name();

    /** @return one line saying what the protocol reaches, for listings */
    default String description() {
        return name();
    }

    /**
     * @return the filename prefixes this protocol claims, without the {@code ':'}, e.g. {@code nbd},
     *         {@code nbd+unix}, {@code nbd+tcp}; or {@code http}, {@code https}. Empty: reachable by
     *         {@code driver=} only. Unique among protocols.
     */
    default Set<String> prefixes() {
        return Set.of(name());
    }

    /**
     * Turns a filename that carries one of {@link #prefixes()} into this protocol's options (QEMU's
     * {@code bdrv_parse_filename}): {@code nbd+unix:///x?socket=/s} becomes {@code server.type=unix},
     * {@code server.path=/s}, {@code export=x}. The registry adds the options the user gave
     * explicitly, which win.
     *
     * <p>The default keeps the whole name as {@code filename}.
     *
     * @throws InvalidOptionException when the name is not one of this protocol's, saying why
     */
    default Map<String, String> parseFilename(String filename) throws InvalidOptionException {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("filename", filename);
        return options;
    }

    /** @return the options {@link #open} accepts, with QEMU's key names */
    default List<OptionSpec<?>> openOptions() {
        return List.of();
    }

    /** @return the names of the child nodes a filter opens through {@link ProtocolRequest#child} */
    default Set<String> children() {
        return Set.of();
    }

    /**
     * A hint that the storage {@code options} describe may be opened soon: a tool calls it (through
     * the registry) for each of its arguments that names storage of this protocol, as soon as it
     * knows it will work on images, before the rest of its start-up. A protocol whose first open or
     * first question has a fixed cost of its own (binding native functions, loading a library) may
     * start that work now on a daemon thread, so that it is done by the time it is needed, and may
     * look at the options to tell whether it will be: the local file binds its hole functions only
     * for a file that exists, as a new one has no holes to ask about, and the work would only
     * compete with the command's own start-up.
     *
     * <p>It returns at once and never fails: work it starts must not print, must keep any failure
     * for the first use to meet as it would have without this call, and must leave every open and
     * every call correct whether or not it has finished (a class's initialisation, which the JVM
     * runs once and makes other threads wait for, does all this). It may be called more than once,
     * from any thread, or never. The default does nothing.
     *
     * @param options what an argument stands for ({@link #parseFilename}'s keys and {@code driver}),
     *                unchecked: it may name nothing, or be no image name at all
     */
    default void prepare(Map<String, String> options) {
    }

    /**
     * Opens the storage the request's options name, locked as {@link ProtocolRequest#lock()} says.
     *
     * @throws java.nio.file.NoSuchFileException when there is nothing by that name
     * @throws org.jblock.api.ImageLockedException when another open holds a conflicting lock
     */
    BlockFile open(ProtocolRequest request) throws IOException;

    /**
     * Creates the storage the request names, or empties it when it exists, and opens it for writing,
     * locked as asked before anything is emptied. The default refuses: not every protocol can create.
     */
    default BlockFile create(ProtocolRequest request) throws IOException {
        throw new UnsupportedFeatureException("Protocol driver '" + name() + "' does not support image creation");
    }
}
