package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.jblock.tests.launcher.ToolProcess.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two first uses of a fresh clone at once: one builds, the other waits for that build and runs
 * what it made. The clone is the launcher and a stand-in for {@code ./mvnw} that takes two seconds
 * and "builds" by copying the jars this build made (a real nested build would take minutes), and
 * logs when it starts and ends, so that two builds, or a run before the build ended, would show.
 */
class ConcurrentFirstUseTest {
    @TempDir
    Path clone;

    @Test
    void two_first_uses_at_once_build_once_and_both_run() throws IOException {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path lib = repo.resolve("dist/target/lib");
        assumeTrue(Files.isDirectory(lib), "no dist/target/lib: run ./mvnw verify (or package) to test it");

        Path bin = Files.createDirectories(clone.resolve("bin"));
        Files.copy(repo.resolve("bin/jblock-io"), bin.resolve("jblock-io"));
        Files.createSymbolicLink(bin.resolve("jblock-img"), Path.of("jblock-io"));
        Files.writeString(clone.resolve("pom.xml"), "<project/>\n");
        Path log = clone.resolve("builds.log");
        Path mvnw = clone.resolve("mvnw");
        Files.writeString(mvnw, "#!/bin/sh\n"
                + "echo \"start $$\" >>'" + log + "'\n"
                + "sleep 2\n"
                + "mkdir -p dist/target/lib && cp '" + lib + "'/*.jar dist/target/lib/\n"
                + "echo \"end $$\" >>'" + log + "'\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));

        Map<String, String> cheap = Map.of("JBLOCK_NO_CLASS_ARCHIVE", "1");
        ToolProcess.Started first = ToolProcess.of(List.of(bin.resolve("jblock-img").toString(), "--version"),
                clone, cheap, "").start();
        ToolProcess.Started second = ToolProcess.of(List.of(bin.resolve("jblock-io").toString(), "--version"),
                clone, cheap, "").start();
        Run one = first.await();
        Run two = second.await();

        assertEquals(0, one.status(), one::all);
        assertEquals(0, two.status(), two::all);
        assertTrue(one.out().startsWith("jblock-img version "), one::all);
        assertTrue(two.out().startsWith("jblock-io version "), two::all);
        List<String> builds = Files.readAllLines(log);
        assertEquals(2, builds.size(), () -> "one build, start and end: " + builds);
        assertTrue(builds.get(0).startsWith("start ") && builds.get(1).startsWith("end "), builds::toString);
        String errors = one.err() + two.err();
        assertTrue(errors.contains("building jblock (first use)"), errors);
        assertTrue(errors.contains("waiting for another build of jblock to finish"), errors);
    }
}
