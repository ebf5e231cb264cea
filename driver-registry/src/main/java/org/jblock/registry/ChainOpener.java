package org.jblock.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.BackingOpener;

/**
 * The {@link BackingOpener} the registry hands a driver: it opens one layer's backing image next to
 * the layer's own file, with the chain's lock mode, and remembers the files of the layers above so
 * that a chain that loops, or grows deeper than {@link #MAX_DEPTH}, is refused.
 */
final class ChainOpener implements BackingOpener {
    /** Layers below the top image a chain may have. */
    static final int MAX_DEPTH = 64;

    private final DriverRegistry registry;
    private final ChainMode mode;
    /** The top image's open options, passed down the chain. */
    private final String options;
    /** The top image's cache mode, whose {@code cache.*} options the chain inherits. */
    private final CacheMode cache;
    private final String childName;
    private final String childLocation;
    /** The real paths of the child and of every layer above it, top first. */
    private final List<Path> above;

    private ChainOpener(DriverRegistry registry, ChainMode mode, String options, CacheMode cache, BlockFile child,
                        List<Path> above) {
        this(registry, mode, options, cache, child.name(), child.location(), above);
    }

    private ChainOpener(DriverRegistry registry, ChainMode mode, String options, CacheMode cache, String childName,
                        String childLocation, List<Path> above) {
        this.registry = registry;
        this.mode = mode;
        this.options = options;
        this.cache = cache;
        this.childName = childName;
        this.childLocation = childLocation;
        this.above = above;
    }

    /** The opener for the top image on {@code file}. */
    static BackingOpener forTop(DriverRegistry registry, ChainMode mode, String options, CacheMode cache,
                                BlockFile file) {
        if (mode == ChainMode.NO_BACKING) {
            return BackingOpener.NONE;
        }
        List<Path> self = new ArrayList<>();
        realPath(file.location()).ifPresent(self::add);
        return new ChainOpener(registry, mode, options, cache, file, self);
    }

    /**
     * The opener for the backing image of a new image at {@code path} (which may not exist yet):
     * names are resolved next to it, and the image itself may not be its own backing file.
     */
    static ChainOpener forNew(DriverRegistry registry, Path path, CacheMode cache) {
        List<Path> self = new ArrayList<>();
        realPath(path.toString()).ifPresent(self::add);
        String shown = path.toString();
        String location = path.toAbsolutePath().normalize().toString();
        return new ChainOpener(registry, ChainMode.READ_ONLY_BACKING, "", cache, shown, location, self);
    }

    @Override
    public BlockImage open(String name, String format) throws IOException {
        if (name == null || name.isEmpty()) {
            throw new BlockException(childName + ": the backing file name is empty");
        }
        if (above.size() > MAX_DEPTH) {
            throw new BlockException(childName + ": the backing chain is deeper than " + MAX_DEPTH + " images");
        }
        OpenSpec spec = new OpenSpec(format, mode != ChainMode.WRITABLE_BACKING, false, options).withCache(cache);
        if (isProtocolName(name)) {
            // nbd://..., http://...: the protocol layer finds it; no local path to compare for loops.
            return registry.openOn(registry.storageOptions(name), format, spec, true,
                    file -> new ChainOpener(registry, mode, options, cache, file, above));
        }
        Path shown = sibling(childName, name);
        Path location = sibling(childLocation, name);
        if (!Files.exists(location)) {
            throw new NoSuchFileException(shown.toString(), null, "No such file or directory");
        }
        Path real = location.toRealPath();
        if (above.contains(real)) {
            throw new BlockException(childName + ": the backing chain loops: '" + shown
                    + "' is the image itself or one of the images above it");
        }
        List<Path> chain = new ArrayList<>(above);
        chain.add(real);
        return registry.openOn(DriverRegistry.localFile(shown), format, spec, true,
                file -> new ChainOpener(registry, mode, options, cache, file, chain));
    }

    /** Whether {@code name} has a protocol prefix ({@code nbd://...}): its first ':' comes before any '/'. */
    static boolean isProtocolName(String name) {
        int colon = name.indexOf(':');
        int slash = name.indexOf('/');
        return colon > 1 && (slash < 0 || colon < slash);
    }

    /** {@code name} as it is when absolute, else next to {@code of}. */
    private static Path sibling(String of, String name) throws IOException {
        try {
            Path target = Path.of(name);
            if (target.isAbsolute()) {
                return target.normalize();
            }
            Path dir = Path.of(of).getParent();
            return dir == null ? target.normalize() : dir.resolve(target).normalize();
        } catch (InvalidPathException e) {
            throw new BlockException("Could not open backing file '" + name + "': not a file name (" + e.getReason() + ")");
        }
    }

    private static java.util.Optional<Path> realPath(String location) {
        try {
            Path path = Path.of(location);
            return Files.exists(path) ? java.util.Optional.of(path.toRealPath()) : java.util.Optional.empty();
        } catch (InvalidPathException | IOException e) {
            return java.util.Optional.empty();
        }
    }
}
