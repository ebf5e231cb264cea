package org.jblock.registry;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

import org.jblock.api.spi.BlockDriver;

/**
 * A folder of driver jars (the tools' {@code JBLOCK_DRIVER_PATH}), each loaded as a module layer
 * of its own on top of jblock's, so that one bad jar costs only itself: a file that is not a jar,
 * or whose module cannot be resolved, is {@linkplain #ignored() ignored} with one line naming it.
 * Two jars that provide a driver of the same name are an error naming both files: which one a
 * user meant cannot be guessed. Pass {@link #layer()} to {@link DriverRegistry#load(ModuleLayer)}.
 *
 * <p>Each jar is a module (a plain jar is an automatic one) that needs only jblock and the JDK.
 */
public final class DriverFolder {
    private final ModuleLayer layer;
    private final List<String> ignored;

    private DriverFolder(ModuleLayer layer, List<String> ignored) {
        this.layer = layer;
        this.ignored = List.copyOf(ignored);
    }

    /** A jar that provides a driver name another jar in the folder provides too. */
    public static final class DuplicateDriverException extends IOException {
        private static final long serialVersionUID = 1L;

        DuplicateDriverException(String message) {
            super(message);
        }
    }

    /**
     * Loads the jars in {@code folder} (files ending in {@code .jar}, in name order).
     *
     * @throws java.nio.file.NotDirectoryException when {@code folder} is not a folder
     * @throws DuplicateDriverException when two jars provide a driver of the same name
     */
    public static DriverFolder load(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new java.nio.file.NotDirectoryException(folder + " is not a folder");
        }
        ModuleLayer base = DriverRegistry.class.getModule().getLayer();
        if (base == null) {
            base = ModuleLayer.boot();
        }
        Set<Path> jars = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.jar")) {
            files.forEach(jars::add);
        }
        List<String> ignored = new ArrayList<>();
        List<ModuleLayer> layers = new ArrayList<>();
        Map<String, Path> driverHomes = new LinkedHashMap<>();
        for (Path jar : jars) {
            ModuleLayer layer;
            try {
                layer = layerOf(jar, base);
            } catch (FindException | ResolutionException | LayerInstantiationException | SecurityException e) {
                ignored.add("ignoring " + jar + ": not a usable driver jar (" + reason(e) + ")");
                continue;
            }
            List<String> names;
            try {
                names = driverNames(layer);
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                ignored.add("ignoring " + jar + ": its driver could not be started (" + reason(e) + ")");
                continue;
            }
            for (String name : names) {
                Path other = driverHomes.putIfAbsent(name, jar);
                if (other != null) {
                    throw new DuplicateDriverException("the driver '" + name + "' is in both " + other + " and " + jar
                            + ": remove one of them");
                }
            }
            layers.add(layer);
        }
        List<ModuleLayer> parents = new ArrayList<>(layers);
        parents.add(base);
        List<Configuration> configurations = new ArrayList<>();
        for (ModuleLayer parent : parents) {
            configurations.add(parent.configuration());
        }
        // One empty layer above them all, so that one service lookup sees every jar and jblock.
        Configuration top = Configuration.resolve(ModuleFinder.of(), configurations, ModuleFinder.of(), Set.of());
        ModuleLayer all = ModuleLayer.defineModulesWithOneLoader(top, parents, DriverFolder.class.getClassLoader())
                .layer();
        return new DriverFolder(all, ignored);
    }

    /** The layer of {@code jar}'s module alone, above {@code base}. */
    private static ModuleLayer layerOf(Path jar, ModuleLayer base) {
        ModuleFinder finder = ModuleFinder.of(jar);
        Set<ModuleReference> found = finder.findAll();
        if (found.size() != 1) {
            throw new FindException("not a jar with one module");
        }
        String module = found.iterator().next().descriptor().name();
        if (base.findModule(module).isPresent()) {
            throw new FindException("its module " + module + " is already part of jblock");
        }
        Configuration configuration = base.configuration().resolveAndBind(finder, ModuleFinder.of(), Set.of(module));
        return base.defineModulesWithOneLoader(configuration, DriverFolder.class.getClassLoader());
    }

    /** The names of the drivers {@code layer} itself provides. */
    private static List<String> driverNames(ModuleLayer layer) {
        List<String> names = new ArrayList<>();
        for (ServiceLoader.Provider<BlockDriver> provider
                : (Iterable<ServiceLoader.Provider<BlockDriver>>) ServiceLoader.load(layer, BlockDriver.class).stream()::iterator) {
            if (provider.type().getModule().getLayer() == layer) {
                names.add(provider.get().name());
            }
        }
        return names;
    }

    private static String reason(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }

    /** @return a layer whose service lookups see jblock's drivers and those of every good jar */
    public ModuleLayer layer() {
        return layer;
    }

    /** @return one line for each jar that was left out, naming it and why */
    public List<String> ignored() {
        return ignored;
    }
}
