package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.jblock.tests.launcher.ToolProcess.Run;
import org.jblock.tests.thirdparty.tiny.ImpostorDriver;
import org.jblock.tests.thirdparty.tiny.TinyDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's way in: {@code bin/jblock-img} and {@code bin/jblock-io} run as a user runs them, as
 * processes on the module path built from the packaged jars (which {@code ./mvnw verify} has made by
 * the time this module's tests run), with a third-party driver dropped in through
 * {@code JBLOCK_DRIVER_PATH}.
 */
class LauncherTest {
    private static Path repo;

    @TempDir
    Path folder;

    @BeforeAll
    static void findTheBuiltLauncher() throws IOException {
        repo = ToolProcess.repoWithBuiltLaunchers();
    }

    private Run run(Map<String, String> environment, String tool, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(repo.resolve("bin").resolve(tool).toString());
        command.addAll(List.of(arguments));
        Map<String, String> withNoBuild = new HashMap<>(environment);
        // Inside a build the jars are what the build just made: never start a nested build.
        withNoBuild.put("JBLOCK_NO_BUILD", "1");
        return ToolProcess.of(command, folder, withNoBuild, "").run();
    }

    @Test
    void jblock_img_and_jblock_io_work_on_a_vhd_from_the_launchers() {
        Run create = run(Map.of(), "jblock-img", "create", "-f", "vpc", "disk.vhd", "1M");
        assertEquals(0, create.status(), create::all);
        assertTrue(create.out().startsWith("Formatting 'disk.vhd', fmt=vpc size=1048576"), create::all);

        Run io = run(Map.of(), "jblock-io", "-c", "write -P 0xab 0 4k", "-c", "read -P 0xab 0 4k", "disk.vhd");
        assertEquals(0, io.status(), io::all);
        assertTrue(io.out().contains("wrote 4096/4096 bytes at offset 0\n"), io::all);
        assertTrue(io.out().contains("read 4096/4096 bytes at offset 0\n"), io::all);

        Run map = run(Map.of(), "jblock-img", "map", "--output=json", "disk.vhd");
        assertEquals(0, map.status(), map::all);
        assertTrue(map.out().matches("(?s)\\[\\{ \"start\": 0, \"length\": \\d+, \"depth\": 0, \"present\": true, "
                + "\"zero\": false, \"data\": true, \"offset\": \\d+}.*"), map::all);
    }

    @Test
    void a_read_larger_than_the_heap_fails_with_qemu_ios_words_and_the_shell_goes_on() {
        Run create = run(Map.of(), "jblock-img", "create", "-f", "vpc", "big.vhd", "1G");
        assertEquals(0, create.status(), create::all);
        Run io = run(Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m"), "jblock-io", "-c", "read 0 512M", "-c", "read -P 0 0 4k",
                "big.vhd");
        assertEquals(1, io.status(), io::all);
        assertTrue(io.out().startsWith("Failed to allocate memory: Cannot allocate memory (536870912 bytes;"), io::all);
        assertTrue(io.out().contains("read 4096/4096 bytes at offset 0\n"), io::all);
        assertFalse(io.all().contains("OutOfMemoryError"), io::all);
    }

    @Test
    void links_named_qemu_img_and_qemu_io_start_those_tools_under_those_names() throws IOException {
        Path bin = Files.createDirectory(folder.resolve("drop-in"));
        Files.createSymbolicLink(bin.resolve("qemu-img"), repo.resolve("bin/jblock-io"));
        Files.createSymbolicLink(bin.resolve("qemu-io"), repo.resolve("bin/jblock-io"));
        Map<String, String> noBuild = Map.of("JBLOCK_NO_BUILD", "1");

        Run create = ToolProcess.of(List.of(bin.resolve("qemu-img").toString(), "create", "-f", "vpc", "d.vhd", "1M"),
                folder, noBuild, "").run();
        assertEquals("Formatting 'd.vhd', fmt=vpc size=1048576\n", create.out(), create::all);
        Run missing = ToolProcess.of(List.of(bin.resolve("qemu-img").toString(), "info", "missing.vhd"),
                folder, noBuild, "").run();
        assertTrue(missing.err().startsWith("qemu-img: Could not open 'missing.vhd'"), missing::all);

        Run io = ToolProcess.of(List.of(bin.resolve("qemu-io").toString(), "d.vhd"), folder, noBuild, "read 0 512\n").run();
        assertEquals(0, io.status(), io::all);
        assertTrue(io.out().startsWith("qemu-io> read 512/512 bytes at offset 0\n"), io::all);
    }

    @Test
    void a_mistake_is_one_line_on_stderr_with_no_stack_trace() {
        Run info = run(Map.of(), "jblock-img", "info", "missing.vhd");

        assertEquals(1, info.status(), info::all);
        assertEquals("", info.out(), info::all);
        assertEquals(1, info.err().lines().count(), info::all);
        assertTrue(info.err().startsWith("jblock-img: Could not open 'missing.vhd'"), info::all);
        assertFalse(info.err().contains("\tat "), info::all);
    }

    @Test
    void a_driver_jar_in_jblock_driver_path_is_used_with_no_rebuild() throws Exception {
        Path drivers = Files.createDirectories(folder.resolve("drivers"));
        packTinyDriver(drivers.resolve("tiny-driver.jar"));
        Map<String, String> withTiny = Map.of("JBLOCK_DRIVER_PATH", drivers.toString());

        Run unknown = run(Map.of(), "jblock-img", "create", "-f", "tiny", "t.tiny", "1M");
        assertEquals(1, unknown.status(), unknown::all);
        assertTrue(unknown.err().contains("Unknown driver 'tiny'"), unknown::all);

        Run create = run(withTiny, "jblock-img", "create", "-f", "tiny", "t.tiny", "1M");
        assertEquals(0, create.status(), create::all);
        Run io = run(withTiny, "jblock-io", "-c", "write -P 7 0 512", "-c", "read -P 7 0 512", "t.tiny");
        assertEquals(0, io.status(), io::all);
        Run info = run(withTiny, "jblock-img", "info", "t.tiny");
        assertEquals(0, info.status(), info::all);
        assertTrue(info.out().contains("file format: tiny\n"), info::all);
    }

    @Test
    void a_bad_jar_in_jblock_driver_path_is_one_warning_and_the_rest_works() throws Exception {
        Path drivers = Files.createDirectories(folder.resolve("drivers"));
        packTinyDriver(drivers.resolve("tiny-driver.jar"));
        Path bad = Files.writeString(drivers.resolve("notes.jar"), "not a jar\n");
        Map<String, String> withBad = Map.of("JBLOCK_DRIVER_PATH", drivers.toString());

        Run version = run(withBad, "jblock-img", "--version");
        assertEquals(0, version.status(), version::all);
        assertEquals(1, version.err().lines().count(), version::all);
        assertTrue(version.err().startsWith("jblock-img: warning: ignoring " + bad + ": "), version::all);

        Run create = run(withBad, "jblock-img", "create", "-f", "tiny", "t.tiny", "1M");
        assertEquals(0, create.status(), create::all);
        Run io = run(withBad, "jblock-io", "-c", "write -P 7 0 512", "-c", "read -P 7 0 512", "t.tiny");
        assertEquals(0, io.status(), io::all);
        assertTrue(io.out().contains("read 512/512 bytes at offset 0"), io::all);
        assertEquals(1, io.err().lines().count(), io::all);
        assertTrue(io.err().startsWith("jblock-io: warning: ignoring " + bad + ": "), io::all);

        // -q, or JBLOCK_LOG=error, keeps warnings quiet; the rest still works.
        Run quiet = run(withBad, "jblock-img", "-q", "info", "t.tiny");
        assertEquals(0, quiet.status(), quiet::all);
        assertEquals("", quiet.err(), quiet::all);
        Map<String, String> errorsOnly = new HashMap<>(withBad);
        errorsOnly.put("JBLOCK_LOG", "error");
        Run quietIo = run(errorsOnly, "jblock-io", "-r", "-c", "read -P 7 0 512", "t.tiny");
        assertEquals(0, quietIo.status(), quietIo::all);
        assertEquals("", quietIo.err(), quietIo::all);
    }

    @Test
    void a_driver_the_registry_refuses_is_one_warning_naming_its_jar() throws Exception {
        Path drivers = Files.createDirectories(folder.resolve("drivers"));
        Path impostor = drivers.resolve("impostor.jar");
        packDriver(impostor, ImpostorDriver.class);

        Run version = run(Map.of("JBLOCK_DRIVER_PATH", drivers.toString()), "jblock-img", "--version");
        assertEquals(0, version.status(), version::all);
        assertEquals(1, version.err().lines().count(), version::all);
        assertTrue(version.err().startsWith("jblock-img: warning: Driver " + impostor + " ignored: the name 'vpc'"),
                version::all);
        assertFalse(version.err().contains(ImpostorDriver.class.getName()), version::all);
    }

    @Test
    void a_jdk_older_than_17_is_one_line_naming_it() throws Exception {
        Path jdk = Files.createDirectories(folder.resolve("jdk-11/bin"));
        Path java = Files.writeString(jdk.resolve("java"), "#!/bin/sh\necho started\n");
        java.toFile().setExecutable(true);
        Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"11.0.2\"\n");

        Run version = run(Map.of("JBLOCK_JAVA", jdk.getParent().toString()), "jblock-img", "--version");
        assertEquals(1, version.status(), version::all);
        assertEquals("", version.out(), version::all);
        assertEquals("jblock-img: " + java + " is Java 11; jblock needs 17 or newer: set JBLOCK_JAVA to a newer JDK\n",
                version.err(), version::all);
    }

    @Test
    void two_jars_with_one_driver_name_are_an_error_naming_both() throws Exception {
        Path drivers = Files.createDirectories(folder.resolve("drivers"));
        Path first = drivers.resolve("tiny-1.0.jar");
        Path second = drivers.resolve("tiny-2.0.jar");
        packTinyDriver(first);
        packTinyDriver(second);

        Run info = run(Map.of("JBLOCK_DRIVER_PATH", drivers.toString()), "jblock-img", "info", "missing.tiny");
        assertEquals(1, info.status(), info::all);
        assertEquals(1, info.err().lines().count(), info::all);
        assertTrue(info.err().contains("'tiny'") && info.err().contains(first.toString())
                && info.err().contains(second.toString()), info::all);
        assertFalse(info.err().contains("\tat "), info::all);
    }

    /**
     * The first start of a distribution makes its start-up cache by a training run with jblock's
     * own drivers: a driver folder that stops every command (two jars with one driver name) must
     * not leave it an empty file, which would keep every later start without a cache until the
     * next build.
     */
    @Test
    void a_first_start_with_a_duplicate_driver_still_makes_the_start_up_cache() throws Exception {
        Path home = folder.resolve("jblock");
        Files.createDirectories(home.resolve("bin"));
        Files.copy(repo.resolve("bin/jblock-io"), home.resolve("bin/jblock-img"));
        Path lib = Files.createDirectories(home.resolve("lib"));
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(repo.resolve("dist/target/lib"), "*.jar")) {
            for (Path jar : jars) {
                Files.copy(jar, lib.resolve(jar.getFileName()));
            }
        }
        Path drivers = Files.createDirectories(folder.resolve("drivers"));
        packTinyDriver(drivers.resolve("tiny-1.0.jar"));
        packTinyDriver(drivers.resolve("tiny-2.0.jar"));

        Run info = ToolProcess.of(List.of(home.resolve("bin/jblock-img").toString(), "info", "missing.tiny"), folder,
                Map.of("JBLOCK_DRIVER_PATH", drivers.toString()), "").run();
        assertEquals(1, info.status(), info::all);
        assertTrue(info.err().contains("'tiny'"), info::all);
        List<Path> caches;
        try (var files = Files.list(home.resolve("cache"))) {
            caches = files.toList();
        }
        assertEquals(1, caches.size(), caches::toString);
        assertTrue(Files.size(caches.get(0)) > 0, "the start-up cache was made: " + caches);
    }

    /** The test-only tiny driver, packed as {@link #packDriver} does. */
    static void packTinyDriver(Path jar) throws IOException, URISyntaxException {
        packDriver(jar, TinyDriver.class);
    }

    /**
     * A test-only driver as a third party ships it in its simplest form: a plain jar (an automatic
     * module on the module path) with the classes of its package and its {@code META-INF/services}
     * entry naming {@code driver}.
     */
    static void packDriver(Path jar, Class<?> driver) throws IOException, URISyntaxException {
        Path classes = Path.of(driver.getProtectionDomain().getCodeSource().getLocation().toURI());
        String packagePath = driver.getPackageName().replace('.', '/');
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             DirectoryStream<Path> files = Files.newDirectoryStream(classes.resolve(packagePath), "*.class")) {
            for (Path file : files) {
                out.putNextEntry(new JarEntry(packagePath + "/" + file.getFileName()));
                out.write(Files.readAllBytes(file));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/org.jblock.api.spi.BlockDriver"));
            out.write((driver.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }
}
