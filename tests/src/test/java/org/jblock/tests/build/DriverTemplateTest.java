package org.jblock.tests.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/driver-template}, a third party's driver project as they get it, builds and
 * passes the contract kit as it is: built by Maven (this build's wrapper, offline) against the
 * jblock artifacts this build made, put in a local repository of the test's own (in front of the
 * user's, which lends Maven's plugins and JUnit read-only), so that nothing is installed for real.
 */
class DriverTemplateTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final long TIMEOUT_MINUTES = 6;

    @TempDir
    Path work;

    private static String version() throws IOException {
        Matcher m = Pattern.compile("<artifactId>jblock-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(REPO.resolve("pom.xml")));
        assertTrue(m.find());
        return m.group(1);
    }

    /** Puts {@code pom} (and {@code jar}, when not null) into {@code repository} as org.jblock:{@code artifact}. */
    private static void install(Path repository, String artifact, String version, Path pom, Path jar) throws IOException {
        Path folder = Files.createDirectories(repository.resolve("org/jblock").resolve(artifact).resolve(version));
        Files.copy(pom, folder.resolve(artifact + "-" + version + ".pom"));
        if (jar != null) {
            Files.copy(jar, folder.resolve(artifact + "-" + version + ".jar"));
        }
    }

    /** The contract kit's jar, from this module's compiled main classes (its own jar comes after its tests). */
    private static Path kitJar(Path jar) throws IOException {
        Path classes = REPO.resolve("tests/target/classes");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files.filter(p -> !from.relativize(p).startsWith("target"))::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    @Test
    void the_driver_template_builds_and_passes_the_contract_as_it_is() throws Exception {
        String version = version();
        Path api = REPO.resolve("block-api/target/block-api-" + version + ".jar");
        assumeTrue(Files.isRegularFile(api), "no block-api jar: run ./mvnw verify (or package) first");
        Path userRepository = Path.of(System.getProperty("user.home"), ".m2", "repository");
        assumeTrue(Files.isDirectory(userRepository), "no local Maven repository at " + userRepository);

        Path repository = Files.createDirectories(work.resolve("repository"));
        install(repository, "jblock-parent", version, REPO.resolve("pom.xml"), null);
        install(repository, "jblock-bom", version, REPO.resolve("bom/pom.xml"), null);
        install(repository, "block-api", version, REPO.resolve("block-api/pom.xml"), api);
        // The kit keeps images in local files through the file protocol, a runtime dependency of it.
        install(repository, "protocol-file", version, REPO.resolve("protocol-file/pom.xml"),
                REPO.resolve("protocol-file/target/protocol-file-" + version + ".jar"));
        install(repository, "tests", version, REPO.resolve("tests/pom.xml"), kitJar(work.resolve("kit.jar")));
        Path project = work.resolve("foo-driver");
        copyTree(REPO.resolve("examples/driver-template"), project);

        List<String> command = List.of(REPO.resolve("mvnw").toString(), "-B", "-q", "-o", "-f",
                project.resolve("pom.xml").toString(), "-Dmaven.repo.local=" + repository,
                "-Dmaven.repo.local.tail=" + userRepository, "verify");
        Path log = work.resolve("maven.log");
        Process maven = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try (OutputStream in = maven.getOutputStream()) {
            // no input
        }
        if (!maven.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            maven.destroyForcibly();
            throw new AssertionError("the template's build did not finish in " + TIMEOUT_MINUTES + " minutes");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, maven.exitValue(), () -> String.join(" ", command) + "\n" + output);

        Path report = project.resolve("target/surefire-reports/TEST-com.example.foo.FooDriverContractTest.xml");
        assertTrue(Files.isRegularFile(report), "the contract ran: " + output);
        Matcher counts = Pattern.compile("tests=\"(\\d+)\"[^>]*failures=\"(\\d+)\"")
                .matcher(Files.readString(report, StandardCharsets.UTF_8));
        assertTrue(counts.find(), "a surefire report");
        assertTrue(Integer.parseInt(counts.group(1)) > 20, "the whole contract ran: " + counts.group(1) + " tests");
        assertEquals("0", counts.group(2));
        assertTrue(Files.isRegularFile(project.resolve("target/foo-driver-1.0.0-SNAPSHOT.jar")));
    }
}
