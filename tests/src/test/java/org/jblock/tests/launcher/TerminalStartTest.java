package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jblock.tests.interop.RealTools;
import org.jblock.tests.interop.RealTools.Tool;
import org.jblock.tests.launcher.ToolProcess.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive shell started on a terminal (a pseudo-terminal made by {@code script}) prints no
 * JDK warning: on the JDK running this build, and on JDK 25 where it is installed in the system's
 * JVM folder (JDK 25 warns about JLine's native calls unless the launcher allows them).
 */
class TerminalStartTest {
    static final Path JVM_FOLDER = Path.of("/usr/lib/jvm");

    @TempDir
    Path folder;

    private Run startOnATerminal(String java) {
        RealTools.require(Tool.SCRIPT);
        Path repo = Path.of("").toAbsolutePath().getParent();
        assumeTrue(Files.isDirectory(repo.resolve("dist/target/lib")), "no dist/target/lib: run ./mvnw verify first");
        String launcher = repo.resolve("bin/jblock-io").toString();
        // script gives the shell a terminal; "quit" typed ahead ends it.
        return ToolProcess.of(List.of("script", "-qec", launcher, "/dev/null"), folder,
                Map.of("JBLOCK_NO_BUILD", "1", "JBLOCK_JAVA", java, "HOME", folder.toString(), "TERM", "xterm"),
                "quit\n").run();
    }

    private static void assertStartedQuietly(Run run) {
        assertEquals(0, run.status(), run::all);
        assertTrue(run.out().contains("opened a new 64 MiB in-memory VHD"), run::all);
        assertFalse(run.out().contains("WARNING") || run.err().contains("WARNING"), run::all);
    }

    @Test
    void the_shell_starts_on_a_terminal_without_warnings_on_this_jdk() {
        assertStartedQuietly(startOnATerminal(System.getProperty("java.home")));
    }

    @Test
    void the_shell_starts_on_a_terminal_without_warnings_on_jdk_25() throws IOException {
        Optional<Path> jdk25 = installedJdk(25);
        if (jdk25.isEmpty()) {
            System.out.println("TerminalStartTest: no JDK 25 in " + JVM_FOLDER + ": the start on JDK 25 is not checked");
        }
        assumeTrue(jdk25.isPresent(), "no JDK 25 installed in " + JVM_FOLDER);
        assertStartedQuietly(startOnATerminal(jdk25.get().toString()));
    }

    /** A JDK of feature version {@code feature} in the system's JVM folder, by its release file. */
    static Optional<Path> installedJdk(int feature) throws IOException {
        if (!Files.isDirectory(JVM_FOLDER)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> jdks = Files.newDirectoryStream(JVM_FOLDER)) {
            for (Path jdk : jdks) {
                Path release = jdk.resolve("release");
                if (Files.isExecutable(jdk.resolve("bin/java")) && Files.isReadable(release)
                        && Files.readString(release).contains("JAVA_VERSION=\"" + feature + ".")) {
                    return Optional.of(jdk);
                }
            }
        }
        return Optional.empty();
    }
}
