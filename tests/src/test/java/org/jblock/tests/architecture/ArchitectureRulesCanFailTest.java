package org.jblock.tests.architecture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each architecture rule catches a class that breaks it. The violating classes live here as source
 * text, compiled into a temporary folder when this test runs: in the packages the rules speak of
 * (org.jblock.registry.…, org.jblock.shell.…) they could not be test sources, because a test source
 * folder named like a module's package hides that package from every other test.
 */
class ArchitectureRulesCanFailTest {

    /** Fully qualified class name → source: each breaks one or more rules. */
    private static final Map<String, String> VIOLATIONS = Map.of(
            "org.jblock.driver.violatinga.LeakyDriver", """
                    package org.jblock.driver.violatinga;

                    import org.jblock.api.BlockImage;
                    import org.jblock.api.spi.BlockDriver;
                    import org.jblock.api.spi.OpenRequest;
                    import org.jblock.api.spi.ProbeInput;
                    import org.jblock.driver.violatingb.NeighbourHelper;
                    import org.jblock.registry.DriverRegistry;

                    // Not final, no public no-argument constructor, uses another driver and the registry.
                    public class LeakyDriver implements BlockDriver {
                        private final NeighbourHelper neighbour;

                        public LeakyDriver(NeighbourHelper neighbour) { this.neighbour = neighbour; }

                        public String name() { return neighbour.name(); }

                        public int probe(ProbeInput input) { return 0; }

                        public BlockImage open(OpenRequest request) throws java.io.IOException {
                            return DriverRegistry.load().driver("raw").open(request);
                        }
                    }
                    """,
            "org.jblock.driver.violatingb.NeighbourHelper", """
                    package org.jblock.driver.violatingb;

                    // Uses the other driver package back: a dependency between drivers and a cycle.
                    public final class NeighbourHelper {
                        public String name() { return "leaky"; }

                        public org.jblock.driver.violatinga.LeakyDriver partner() {
                            return new org.jblock.driver.violatinga.LeakyDriver(this);
                        }
                    }
                    """,
            "org.jblock.registry.violating.RegistryNamingADriver", """
                    package org.jblock.registry.violating;

                    public final class RegistryNamingADriver {
                        public org.jblock.api.spi.BlockDriver raw() { return new org.jblock.driver.raw.RawDriver(); }
                    }
                    """,
            "org.jblock.shell.violating.ShellNamingADriver", """
                    package org.jblock.shell.violating;

                    public final class ShellNamingADriver {
                        public String rawName() { return new org.jblock.driver.raw.RawDriver().name(); }
                    }
                    """,
            "org.jblock.shell.violating.ShellPrinting", """
                    package org.jblock.shell.violating;

                    public final class ShellPrinting {
                        public void report(String line) { System.out.println(line); }
                    }
                    """,
            "org.jblock.api.violating.ApiUsingTheRegistry", """
                    package org.jblock.api.violating;

                    public final class ApiUsingTheRegistry {
                        public int drivers() { return org.jblock.registry.DriverRegistry.load().drivers().size(); }
                    }
                    """,
            "org.jblock.tests.contract.violating.KitUsingADriver", """
                    package org.jblock.tests.contract.violating;

                    public final class KitUsingADriver {
                        public org.jblock.api.spi.BlockDriver fallback() { return new org.jblock.driver.raw.RawDriver(); }
                    }
                    """,
            "org.jblock.tests.architecture.violating.Printing", """
                    package org.jblock.tests.architecture.violating;

                    public final class Printing {
                        public void report(String line) { System.err.println(line); }
                    }
                    """);

    private static JavaClasses violations;

    @BeforeAll
    static void compileTheViolations(@TempDir Path folder) throws IOException {
        ToolProvider javac = ToolProvider.findFirst("javac").orElse(null);
        assertNotNull(javac, "the architecture self-check compiles its fixtures and needs a JDK, not a JRE");
        Path classes = Files.createDirectories(folder.resolve("classes"));
        List<String> arguments = new ArrayList<>(List.of("-d", classes.toString(),
                "-classpath", System.getProperty("java.class.path"), "--release", "17", "-proc:none"));
        for (Map.Entry<String, String> violation : VIOLATIONS.entrySet()) {
            Path source = folder.resolve("src").resolve(violation.getKey().replace('.', '/') + ".java");
            Files.createDirectories(source.getParent());
            arguments.add(Files.writeString(source, violation.getValue()).toString());
        }
        StringWriter diagnostics = new StringWriter();
        PrintWriter writer = new PrintWriter(diagnostics);
        int status = javac.run(writer, writer, arguments.toArray(String[]::new));
        assertTrue(status == 0, () -> "the violating classes do not compile:\n" + diagnostics);
        violations = new ClassFileImporter().importPath(classes);
        assertTrue(violations.size() >= VIOLATIONS.size(), "not every violating class was imported");
    }

    @Test
    void a_driver_using_the_registry_breaks_the_api_and_jdk_rule() {
        assertCaught(DriverArchitectureTest.drivers_depend_only_on_the_api_and_the_jdk,
                "org.jblock.driver.violatinga.LeakyDriver", "org.jblock.registry.DriverRegistry");
    }

    @Test
    void two_driver_packages_using_each_other_break_the_independence_rule() {
        assertCaught(DriverArchitectureTest.drivers_do_not_depend_on_each_other,
                "org.jblock.driver.violatinga.LeakyDriver", "org.jblock.driver.violatingb.NeighbourHelper");
    }

    @Test
    void an_open_driver_without_a_no_argument_constructor_breaks_the_shape_rule() {
        assertCaught(DriverArchitectureTest.driver_classes_are_final_with_a_public_no_argument_constructor,
                "Class <org.jblock.driver.violatinga.LeakyDriver> does not have modifier FINAL",
                "org.jblock.driver.violatinga.LeakyDriver has no public no-argument constructor");
    }

    @Test
    void the_api_using_the_registry_breaks_the_api_rule() {
        assertCaught(LayeringArchitectureTest.the_api_depends_on_the_jdk_alone,
                "org.jblock.api.violating.ApiUsingTheRegistry", "org.jblock.registry.DriverRegistry");
    }

    @Test
    void the_registry_naming_a_driver_breaks_the_registry_rule() {
        assertCaught(LayeringArchitectureTest.the_registry_depends_on_no_driver,
                "org.jblock.registry.violating.RegistryNamingADriver", "org.jblock.driver.raw.RawDriver");
    }

    @Test
    void the_shell_naming_a_driver_breaks_the_shell_rule() {
        assertCaught(LayeringArchitectureTest.the_shell_depends_on_no_driver_class,
                "org.jblock.shell.violating.ShellNamingADriver", "org.jblock.driver.raw.RawDriver");
    }

    @Test
    void the_kit_using_a_driver_breaks_the_kit_rule() {
        assertCaught(LayeringArchitectureTest.the_contract_kit_depends_on_the_api_and_junit_alone,
                "org.jblock.tests.contract.violating.KitUsingADriver", "org.jblock.driver.raw.RawDriver");
    }

    @Test
    void two_packages_using_each_other_break_the_cycle_rule() {
        assertCaught(LayeringArchitectureTest.packages_are_free_of_cycles, "driver.violatinga", "driver.violatingb");
    }

    @Test
    void printing_outside_the_shell_breaks_the_output_rule() {
        assertCaught(OutputArchitectureTest.only_the_shell_writes_to_standard_streams,
                "org.jblock.tests.architecture.violating.Printing", "java.lang.System.err");
    }

    @Test
    void printing_inside_the_shell_passes_the_output_rule() {
        EvaluationResult result = OutputArchitectureTest.only_the_shell_writes_to_standard_streams.evaluate(violations);
        String report = result.getFailureReport().toString();
        assertFalse(report.contains("ShellPrinting"), () -> "the shell may print, but the rule says:\n" + report);
    }

    /** The rule fails on the violating classes, and its report names each of {@code expected}. */
    private static void assertCaught(ArchRule rule, String... expected) {
        EvaluationResult result = rule.evaluate(violations);
        assertTrue(result.hasViolation(), () -> "the rule let the violating classes pass: " + rule.getDescription());
        String report = result.getFailureReport().toString();
        for (String fragment : expected) {
            assertTrue(report.contains(fragment), () -> "the report does not name " + fragment + ":\n" + report);
        }
    }
}
