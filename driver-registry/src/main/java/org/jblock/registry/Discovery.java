package org.jblock.registry;

import java.lang.System.Logger.Level;
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
     * @return whether {@code type} lives in the package {@code home} (and, on the module path, in the
     *         module of that name): what makes a provider one of jblock's own
     */
    static boolean livesIn(Class<?> type, String home) {
        Module module = type.getModule();
        return type.getPackageName().equals(home) && (!module.isNamed() || module.getName().equals(home));
    }

    /**
     * Hands every provider {@code loader} finds to {@code sink}; a provider that cannot be looked up
     * or started becomes a problem, named by its class.
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
            sink.problem(provider.type().getName(), "the " + kind + " could not be started: " + cause, e);
            return;
        }
        sink.add(instance);
    }
}
