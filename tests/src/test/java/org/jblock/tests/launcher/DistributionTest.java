package org.jblock.tests.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import org.jblock.tests.interop.RealTools;
import org.jblock.tests.interop.RealTools.Tool;
import org.jblock.tests.launcher.ToolProcess.Run;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as a user gets it: unpacked into a folder away from the sources and run from there,
 * with no source tree and no build (it holds no Maven, so a build could not even start).
 */
class DistributionTest {
    private static final List<String> TOOLS = List.of("jblock-img", "jblock-io", "jblock-nbd");

    @TempDir
    static Path unpacked;
    private static Path home;
    private static String version;

    @TempDir
    Path work;

    @BeforeAll
    static void unpackTheTarball() throws IOException {
        Path target = Path.of("").toAbsolutePath().getParent().resolve("dist/target");
        Path tarball = null;
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> found = Files.newDirectoryStream(target, "jblock-*.tar.gz")) {
                for (Path file : found) {
                    tarball = file;
                }
            }
        }
        assumeTrue(tarball != null, "no dist/target/jblock-*.tar.gz: run ./mvnw verify (or package) to test it");
        String name = tarball.getFileName().toString();
        version = name.substring("jblock-".length(), name.length() - ".tar.gz".length());
        Run tar = ToolProcess.of(List.of("tar", "xzf", tarball.toString()), unpacked, Map.of(), "").run();
        assertEquals(0, tar.status(), tar::all);
        home = unpacked.resolve("jblock-" + version);
    }

    private Run tool(String tool, String stdin, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin").resolve(tool).toString());
        command.addAll(List.of(arguments));
        return ToolProcess.of(command, work, Map.of("HOME", work.toString()), stdin).run();
    }

    @Test
    void the_tarball_holds_the_tools_their_jars_pages_and_papers() {
        for (String file : List.of("bin/jblock-img", "bin/jblock-io", "bin/jblock-nbd", "man/man1/jblock-img.1",
                "man/man1/jblock-io.1", "man/man1/jblock-nbd.1",
                "completion/jblock.bash", "README.md", "LICENSE", "CHANGELOG.md", "lib/qemu-io-shell-" + version + ".jar",
                "lib/driver-vpc-" + version + ".jar", "lib/driver-raw-" + version + ".jar")) {
            assertTrue(Files.isRegularFile(home.resolve(file)), file + " is missing from the tarball");
        }
        assertTrue(Files.isExecutable(home.resolve("bin/jblock-img")));
    }

    /**
     * lib/ has picocli compiled for Java 17 class files (which the launcher's AOT cache can hold;
     * picocli's own jar is Java 5 bytecode), with picocli's license, and no second picocli.
     */
    @Test
    void picocli_comes_as_java_17_class_files_with_its_license() throws IOException {
        List<String> picocli = new ArrayList<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(home.resolve("lib"), "picocli*.jar")) {
            jars.forEach(jar -> picocli.add(jar.getFileName().toString()));
        }
        assertEquals(List.of("picocli-java17-" + version + ".jar"), picocli);
        try (JarFile jar = new JarFile(home.resolve("lib").resolve(picocli.get(0)).toFile())) {
            byte[] head = jar.getInputStream(jar.getEntry("picocli/CommandLine.class")).readNBytes(8);
            assertEquals(61, ((head[6] & 0xff) << 8) | (head[7] & 0xff), "class-file version of picocli.CommandLine");
            String license = new String(jar.getInputStream(jar.getEntry("META-INF/LICENSE")).readAllBytes(),
                    StandardCharsets.UTF_8);
            assertTrue(license.contains("Apache License") && license.contains("Version 2.0"), license);
        }
    }

    @Test
    void the_tools_create_inspect_convert_and_edit_an_image_from_the_unpacked_folder() {
        Run create = tool("jblock-img", "", "create", "-f", "vpc", "disk.vhd", "4M");
        assertEquals(0, create.status(), create::all);
        assertTrue(create.out().startsWith("Formatting 'disk.vhd', fmt=vpc size=4194304"), create::all);

        Run session = tool("jblock-io", "write -P 0xab 0 64k\nread -P 0xab 0 64k\nquit\n", "disk.vhd");
        assertEquals(0, session.status(), session::all);
        assertTrue(session.out().contains("wrote 65536/65536 bytes at offset 0\n"), session::all);
        assertTrue(session.out().contains("read 65536/65536 bytes at offset 0\n"), session::all);

        Run info = tool("jblock-img", "", "info", "disk.vhd");
        assertEquals(0, info.status(), info::all);
        assertTrue(info.out().contains("file format: vpc\n"), info::all);

        Run convert = tool("jblock-img", "", "convert", "-O", "raw", "disk.vhd", "disk.raw");
        assertEquals(0, convert.status(), convert::all);
        Run check = tool("jblock-io", "", "-f", "raw", "-c", "read -P 0xab 0 64k", "-c", "read -P 0 64k 64k", "disk.raw");
        assertEquals(0, check.status(), check::all);
        assertFalse(check.out().contains("Pattern verification failed"), check::all);
    }

    @Test
    void every_tool_reports_the_build_version() {
        for (String tool : TOOLS) {
            Run run = tool(tool, "", "--version");
            assertEquals(0, run.status(), run::all);
            assertEquals(tool + " version " + version, run.out().lines().findFirst().orElse(""), run::all);
        }
    }

    @Test
    void each_man_page_formats_and_names_its_tool_and_options() {
        RealTools.require(Tool.MAN);
        for (String tool : TOOLS) {
            Path page = home.resolve("man/man1/" + tool + ".1");
            Run man = ToolProcess.of(List.of("man", "--warnings", "-l", page.toString()), work,
                    Map.of("MANPAGER", "cat", "MANWIDTH", "100", "LANG", "C.UTF-8"), "").run();
            assertEquals(0, man.status(), man::all);
            assertEquals("", man.err(), man::all);
            assertTrue(man.out().contains("NAME"), man::all);
            assertTrue(man.out().matches("(?s).*NAME\\s+" + tool + "\\s+-\\s+\\S.*"), man::all);
            assertTrue(man.out().contains("--version"), man::all);
        }
        Run img = ToolProcess.of(List.of("man", "-l", home.resolve("man/man1/jblock-img.1").toString()), work,
                Map.of("MANPAGER", "cat", "MANWIDTH", "100"), "").run();
        for (String subcommand : List.of("create", "info", "check", "convert", "compare", "map", "resize", "bench")) {
            assertTrue(img.out().contains("jblock-img " + subcommand + " "), subcommand + "\n" + img.all());
        }
    }

    @Test
    void the_completion_script_completes_subcommands_and_options() {
        String script = "source " + home.resolve("completion/jblock.bash") + "\n"
                + "COMP_WORDS=(jblock-img con); COMP_CWORD=1; COMP_LINE='jblock-img con'; COMP_POINT=14\n"
                + "$(complete -p jblock-img | sed -E 's/.*-F ([^ ]+).*/\\1/') jblock-img con jblock-img\n"
                + "echo \"${COMPREPLY[@]}\"\n"
                + "complete -p jblock-io\n";
        Run bash = ToolProcess.of(List.of("bash", "-c", script), work, Map.of(), "").run();
        assertEquals(0, bash.status(), bash::all);
        assertTrue(bash.out().lines().findFirst().orElse("").contains("convert"), bash::all);
        assertTrue(bash.out().contains("jblock-io"), bash::all);
    }
}
