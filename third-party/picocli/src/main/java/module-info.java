/**
 * picocli, the command-line parser of jblock's tools, compiled from its published sources (unchanged)
 * for Java 17 class files; this module declaration is the one picocli's own jar carries.
 *
 * <p>Why: picocli's jar holds Java 5 class files, which the JDK's AOT cache and class-data archives
 * cannot keep, so every start of a tool loaded and verified its classes again. Compiled for Java 17
 * they come from the launcher's start-up cache like jblock's own (see {@code benchmarks/README.md}).
 */
module info.picocli {
    requires static java.sql;

    exports picocli;
}
