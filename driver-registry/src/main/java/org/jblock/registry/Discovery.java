package org.jblock.registry;

import java.lang.System.Logger.Level;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Spliterator;

/** Finds the providers of one service, so that one broken provider never stops the others. */
final class Discovery {
    /** A service lookup that keeps failing is abandoned after this many failures in a row. */
    private static final int LOOKUP_FAILURES_IN_A_ROW = 100;

    /** Where found providers go. */
    interface Sink<T> {
        void add(T provider);

        void problem(String provider, String message, Throwable cause);
    }

    /** Created on first use, like the registry's own (most runs log nothing). */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(DriverRegistry.class.getName());
    }

    private Discovery() {
    }

    /**
     * Records a provider that is not registered, and logs it at WARNING.
     *
     * @param kind "Driver" or "Protocol", for the log line
     */
    static void problem(List<DriverProblem> problems, String kind, String provider, String message, Throwable cause) {
        problems.add(new DriverProblem(provider, message, cause));
        Log.LOG.log(Level.WARNING, kind + " " + provider + " ignored: " + message, cause);
    }

    /**
     * @return where a provider came from as its user knows it: the jar file of {@code type} (a
     *         third-party driver's), else its class name
     */
    static String origin(Class<?> type) {
        try {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                Path location = Path.of(source.getLocation().toURI());
                if (location.getFileName() != null && location.getFileName().toString().endsWith(".jar")) {
                    return location.toString();
                }
            }
        } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException | SecurityException e) {
            // Not a file: the class name says it.
        }
        return type.getName();
    }

    /**
     * @return whether {@code type} lives in the package {@code home} (and, on the module path, in the
     *         module of that name): what makes a provider one of jblock's own
     */
    static boolean livesIn(Class<?> type, String home) {
        Module module = type.getModule();
        return type.getPackageName().equals(home) && (!module.isNamed() || module.getName().equals(home));
    }

    /**
     * Hands every provider {@code loader} finds to {@code sink}; a provider that cannot be looked up
     * or started becomes a problem, named by its {@linkplain #origin origin}.
     */
    static <T> void load(ServiceLoader<T> loader, String kind, Sink<T> sink) {
        // The stream's spliterator lets a lookup failure (a provider class that is missing or of the
        // wrong type) be caught per provider: the next tryAdvance goes on with the next one.
        Spliterator<ServiceLoader.Provider<T>> providers = loader.stream().spliterator();
        int failuresInARow = 0;
        boolean more = true;
        while (more && failuresInARow < LOOKUP_FAILURES_IN_A_ROW) {
            try {
                more = providers.tryAdvance(provider -> start(provider, kind, sink));
                failuresInARow = 0;
            } catch (ServiceConfigurationError e) {
                sink.problem("service lookup", "a " + kind + " could not be loaded: " + e.getMessage(), e);
                failuresInARow++;
            }
        }
    }

    private static <T> void start(ServiceLoader.Provider<T> provider, String kind, Sink<T> sink) {
        T instance;
        try {
            instance = provider.get();
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            sink.problem(origin(provider.type()), "the " + kind + " could not be started: " + cause, e);
            return;
        }
        sink.add(instance);
    }
}
