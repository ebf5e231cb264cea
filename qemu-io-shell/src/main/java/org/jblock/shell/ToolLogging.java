package org.jblock.shell;

import java.lang.System.Logger.Level;
import java.text.MessageFormat;
import java.util.Locale;
import java.util.ResourceBundle;

/**
 * How the tools log: every {@link System.Logger} of jblock's modules (the registry's driver
 * problems, the NBD server's client troubles...) writes one line to stderr, as the tool's other
 * messages read: {@code jblock-img: warning: <message>}, with the cause's message appended and no
 * class name or stack trace. Installed as the {@link System.LoggerFinder} of the tools' JVM
 * ({@code provides} in the shell module), so java.util.logging is never loaded.
 *
 * <p>Which levels print: warnings and errors by default; {@value #VARIABLE} ({@code error},
 * {@code warning}, {@code info}, {@code debug}, {@code off}) changes that default, and the tools'
 * {@code -q} (errors only) and {@code -v} (info; twice, debug) change it for one run.
 */
public final class ToolLogging extends System.LoggerFinder {
    /** The environment variable that sets the default level. */
    public static final String VARIABLE = "JBLOCK_LOG";
    private static volatile Level threshold = fromEnvironment();

    public ToolLogging() {
    }

    private static Level fromEnvironment() {
        String text = System.getenv(VARIABLE);
        if (text != null) {
            switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "off": return Level.OFF;
                case "error": return Level.ERROR;
                case "warning": return Level.WARNING;
                case "info": return Level.INFO;
                case "debug": return Level.DEBUG;
                case "trace", "all": return Level.TRACE;
                default: break;
            }
        }
        return Level.WARNING;
    }

    /**
     * Applies the {@code -q} and {@code -v} switches among the tool's {@code options} (the
     * arguments before the first that is not an option): {@code -q} prints errors only, each
     * {@code -v} one level more.
     */
    public static void applySwitches(String[] options) {
        int verbosity = 0;
        boolean quiet = false;
        for (String option : options) {
            if (!option.startsWith("-") || option.equals("--")) {
                break;
            }
            if (option.equals("-q") || option.equals("--quiet")) {
                quiet = true;
            } else if (option.equals("-v") || option.equals("--verbose")) {
                verbosity++;
            } else if (option.matches("-v+")) {
                verbosity += option.length() - 1;
            }
        }
        apply(quiet, verbosity);
    }

    /**
     * Sets the level for this run from a tool's parsed switches: {@code quiet} prints errors only,
     * {@code verbosity} ({@code -v} counted) one level more each; neither keeps the default.
     */
    public static void apply(boolean quiet, int verbosity) {
        if (quiet) {
            threshold = Level.ERROR;
        } else if (verbosity > 0) {
            threshold = verbosity == 1 ? Level.INFO : Level.DEBUG;
        }
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        // The JDK's own loggers (Runtime.exit at debug level...) speak only of warnings and errors.
        String moduleName = module.getName();
        boolean jdk = moduleName != null && (moduleName.startsWith("java.") || moduleName.startsWith("jdk."));
        return new Line(name, jdk ? Level.WARNING : Level.ALL);
    }

    /** A logger that writes each message as one line on stderr. */
    private static final class Line implements System.Logger {
        private final String name;
        private final Level floor;

        Line(String name, Level floor) {
            this.name = name;
            this.floor = floor;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && threshold != Level.OFF && level.getSeverity() >= threshold.getSeverity()
                    && level.getSeverity() >= floor.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            if (!isLoggable(level)) {
                return;
            }
            StringBuilder line = new StringBuilder(ProgramName.or("jblock")).append(": ")
                    .append(level.getName().toLowerCase(Locale.ROOT)).append(": ").append(message);
            if (thrown != null && thrown.getMessage() != null && !message.contains(thrown.getMessage())) {
                line.append(": ").append(thrown.getMessage());
            }
            System.err.println(line.toString().replaceAll("\\s*\\R\\s*", " "));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) {
                log(level, bundle, params == null || params.length == 0 ? format : MessageFormat.format(format, params),
                        (Throwable) null);
            }
        }
    }
}
