package org.jblock.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.jblock.api.BlockException;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.LocalBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/**
 * The drivers jblock can use, and the one way to open or create an image with them.
 *
 * <p>Immutable and safe for concurrent use.
 */
public final class DriverRegistry {
    private final Map<String, BlockDriver> drivers;

    private DriverRegistry(List<BlockDriver> found) {
        Map<String, BlockDriver> byName = new LinkedHashMap<>();
        found.stream().sorted(Comparator.comparing(BlockDriver::name)).forEach(d -> byName.put(d.name(), d));
        this.drivers = byName;
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
        List<BlockDriver> found = new ArrayList<>();
        loader.forEach(found::add);
        return new DriverRegistry(found);
    }

    /** A registry of exactly these drivers (for tests and embedding). */
    public static DriverRegistry of(BlockDriver... drivers) {
        return new DriverRegistry(List.of(drivers));
    }

    /** @return every driver, sorted by name */
    public List<BlockDriver> drivers() {
        return List.copyOf(drivers.values());
    }

    /**
     * @return the driver of that name
     * @throws UnknownFormatException listing the names that exist
     */
    public BlockDriver driver(String name) throws UnknownFormatException {
        BlockDriver driver = drivers.get(name);
        if (driver == null) {
            throw new UnknownFormatException("Unknown driver '" + name + "' (known formats: "
                    + String.join(", ", drivers.keySet()) + ")");
        }
        return driver;
    }

    /** @return the driver whose probe scores highest for {@code file} */
    public BlockDriver probe(BlockFile file) throws IOException {
        ProbeInput input = ProbeInput.read(file);
        BlockDriver best = null;
        int bestScore = 0;
        for (BlockDriver driver : drivers.values()) {
            int score = driver.probe(input);
            if (score > bestScore) {
                best = driver;
                bestScore = score;
            }
        }
        if (best == null) {
            throw new BlockException(file.name() + ": Could not determine the image format");
        }
        return best;
    }

    /** Opens the image at {@code path}. */
    public BlockImage open(Path path, OpenSpec spec) throws IOException {
        LocalBlockFile file = LocalBlockFile.open(path, spec.readOnly());
        try {
            if (!spec.forceShare()) {
                file.lock(spec.readOnly() ? BlockFile.LockMode.SHARED : BlockFile.LockMode.EXCLUSIVE);
            }
            return open(file, spec);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Opens the image on {@code file}; on success the image owns the file. */
    public BlockImage open(BlockFile file, OpenSpec spec) throws IOException {
        BlockDriver driver = spec.format() != null ? driver(spec.format()) : probe(file);
        Options options = Options.parse(spec.options(), driver.openOptions());
        return driver.open(new OpenRequest(file, spec.readOnly() || file.isReadOnly(), options));
    }

    /**
     * Creates an image of {@code format} at {@code path} (replacing a file that is there).
     *
     * @param options the driver's create options as {@code key=value,...}
     */
    public void create(Path path, String format, long size, String options) throws IOException {
        BlockDriver driver = driver(format);
        Options parsed = Options.parse(options, driver.createOptions());
        boolean existed = Files.exists(path);
        try (LocalBlockFile file = LocalBlockFile.create(path)) {
            file.lock(BlockFile.LockMode.EXCLUSIVE);
            driver.create(new CreateRequest(file, size, parsed));
            file.flush();
        } catch (IOException | RuntimeException e) {
            if (!existed) {
                Files.deleteIfExists(path);
            }
            throw e;
        }
    }

    /** Creates an image of {@code format} in {@code file}, which stays open. */
    public void create(BlockFile file, String format, long size, String options) throws IOException {
        BlockDriver driver = driver(format);
        driver.create(new CreateRequest(file, size, Options.parse(options, driver.createOptions())));
    }
}
