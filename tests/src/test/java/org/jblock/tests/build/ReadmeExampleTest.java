package org.jblock.tests.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Using jblock from Java" example, exactly as written there, compiled with
 * {@code javac} and run against the jars the build made: on the class path, and with jblock on
 * the module path, with the native access the README asks for (else JDK 24 and newer warn).
 */
class ReadmeExampleTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path LIB = REPO.resolve("dist/target/lib");
    private static String source;
    private static String className;

    @TempDir
    Path work;

    @BeforeAll
    static void readTheExample() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        int section = readme.indexOf("## Using jblock from Java");
        assertTrue(section >= 0, "the README has a section 'Using jblock from Java'");
        Matcher java = Pattern.compile("(?s)```java\n(.*?)```").matcher(readme);
        assertTrue(java.find(section), "the section has a java example");
        source = java.group(1);
        Matcher name = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(name.find(), "the example is a whole class:\n" + source);
        className = name.group(1);
        assumeTrue(Files.isDirectory(LIB), "no dist/target/lib: run ./mvnw verify (or package) first");
    }

    /** Runs a JDK tool in the work folder; fails on a non-zero exit. */
    private String run(String tool, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", tool).toString());
        command.addAll(List.of(arguments));
        Path output = work.resolve(tool + ".out");
        Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> String.join(" ", command) + "\n" + printed);
        return printed;
    }

    private Path writeSource() throws IOException {
        Path file = work.resolve(className + ".java");
        Files.writeString(file, source);
        return file;
    }

    private void assertRan(String printed) {
        List<String> lines = printed.lines().toList();
        assertEquals("hello", lines.get(0), printed);
        assertTrue(lines.size() > 1 && lines.get(1).startsWith("Extent[start=0, "), printed);
        assertTrue(Files.isRegularFile(work.resolve("disk.vhd")));
    }

    @Test
    void the_example_compiles_and_runs_on_the_class_path() throws Exception {
        String classPath = LIB + "/*";
        run("javac", "-Xlint:all", "-Werror", "-d", "classes", "-cp", classPath, writeSource().toString());
        assertRan(run("java", "--enable-native-access=ALL-UNNAMED", "-cp", "classes" + java.io.File.pathSeparator + classPath,
                className));
    }

    @Test
    void the_example_compiles_and_runs_with_jblock_on_the_module_path() throws Exception {
        run("javac", "-Xlint:all", "-Werror", "-d", "classes", "-p", LIB.toString(),
                "--add-modules", "org.jblock.registry", writeSource().toString());
        assertRan(run("java", "--enable-native-access=org.jblock.protocol.file", "-p", LIB.toString(),
                "--add-modules", "org.jblock.registry", "-cp", "classes", className));
    }
}
