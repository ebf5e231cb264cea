package org.jblock.shell;

import java.io.IOException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

import org.jblock.registry.DriverFolder;
import org.jblock.registry.DriverRegistry;

/**
 * The drivers a tool runs with: jblock's own, and those in the folder named by
 * {@value #VARIABLE}. A jar there that cannot be used is one warning naming it (logged, see
 * {@link ToolLogging}), and the tool goes on without it; two jars with a driver of one name stop the
 * tool with one line naming both.
 */
public final class ToolDrivers {
    /** The environment variable naming the folder of third-party driver jars. */
    public static final String VARIABLE = "JBLOCK_DRIVER_PATH";

    private ToolDrivers() {
    }

    /**
     * @param program the tool's name, which starts each line it prints
     * @param lines   where the error goes, a line (without a line end)
     * @return the registry, or nothing after the line that says why there is none
     */
    public static Optional<DriverRegistry> load(String program, Consumer<String> lines) {
        String folder = System.getenv(VARIABLE);
        if (folder == null || folder.isEmpty()) {
            return Optional.of(DriverRegistry.load());
        }
        try {
            DriverFolder drivers = DriverFolder.load(Path.of(folder));
            System.Logger log = System.getLogger(ToolDrivers.class.getName());
            for (String ignored : drivers.ignored()) {
                log.log(System.Logger.Level.WARNING, ignored);
            }
            return Optional.of(DriverRegistry.load(drivers.layer()));
        } catch (NotDirectoryException e) {
            lines.accept(program + ": " + VARIABLE + " is not a folder: " + folder);
        } catch (IOException | RuntimeException e) {
            lines.accept(program + ": " + VARIABLE + ": " + e.getMessage());
        }
        return Optional.empty();
    }
}
