package org.jblock.tests.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * What {@code ./mvnw install} publishes: every module's jar with its {@code -sources} and
 * {@code -javadoc} jars (built by the package phase, which has run when these tests run), and the
 * BOM {@code org.jblock:jblock-bom}, which lists every published module at the build's version.
 */
class PublishedArtifactsTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    /**
     * Modules that are not libraries: the BOM itself, the tarball, and picocli compiled for the
     * tarball's lib/ (picocli's code, never published under jblock's name).
     */
    private static final Set<String> NOT_LIBRARIES = Set.of("bom", "dist", "third-party/picocli");
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");

    private static String pom(Path folder) throws IOException {
        // Comments may name artifacts too.
        return Files.readString(folder.resolve("pom.xml")).replaceAll("(?s)<!--.*?-->", "");
    }

    /** The first element {@code name} after {@code from} in {@code xml}. */
    private static String element(String xml, String name, String from) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertTrue(m.find(xml.indexOf(from)), name + " after " + from);
        return m.group(1).trim();
    }

    /** The library modules of the default build (the parent's first modules list; profiles have their own). */
    private static List<String> libraryModules() throws IOException {
        String parent = pom(REPO);
        String modules = parent.substring(parent.indexOf("<modules>"), parent.indexOf("</modules>"));
        List<String> names = new ArrayList<>();
        for (Matcher m = MODULE.matcher(modules); m.find(); ) {
            if (!NOT_LIBRARIES.contains(m.group(1).trim())) {
                names.add(m.group(1).trim());
            }
        }
        return names;
    }

    private static String artifactOf(String module) throws IOException {
        return element(pom(REPO.resolve(module)), "artifactId", "</parent>");
    }

    @Test
    void the_bom_lists_every_library_module_at_the_build_version() throws IOException {
        String bom = pom(REPO.resolve("bom"));
        assertEquals("jblock-bom", element(bom, "artifactId", "<modelVersion>"));
        assertEquals(element(pom(REPO), "version", "<artifactId>jblock-parent"),
                element(bom, "version", "<artifactId>jblock-bom"), "the BOM's version is the build's");

        String managed = bom.substring(bom.indexOf("<dependencyManagement>"));
        Set<String> listed = new TreeSet<>();
        for (Matcher m = ARTIFACT.matcher(managed); m.find(); ) {
            listed.add(m.group(1).trim());
        }
        Set<String> published = new TreeSet<>();
        for (String module : libraryModules()) {
            published.add(artifactOf(module));
        }
        assertEquals(published, listed, "the BOM lists exactly the library modules");
    }

    @Test
    void every_library_module_has_its_sources_and_javadoc_jars() throws IOException {
        String version = element(pom(REPO), "version", "<artifactId>jblock-parent");
        for (String module : libraryModules()) {
            if (module.equals("tests")) {
                continue; // this module's jars are made after its tests run
            }
            Path target = REPO.resolve(module).resolve("target");
            for (String kind : List.of("", "-sources", "-javadoc")) {
                Path jar = target.resolve(artifactOf(module) + "-" + version + kind + ".jar");
                assertTrue(Files.isRegularFile(jar), jar + " is missing: run ./mvnw verify (or package)");
            }
        }
    }

    @Test
    void every_runtime_module_is_in_the_distribution() throws IOException {
        String version = element(pom(REPO), "version", "<artifactId>jblock-parent");
        Path lib = REPO.resolve("dist/target/lib");
        for (String module : libraryModules()) {
            if (module.equals("tests")) {
                continue; // the contract kit is for drivers' tests, not for the tools
            }
            Path jar = lib.resolve(artifactOf(module) + "-" + version + ".jar");
            assertTrue(Files.isRegularFile(jar), jar + " is missing: add " + module + " to dist/pom.xml's dependencies");
        }
    }
}
