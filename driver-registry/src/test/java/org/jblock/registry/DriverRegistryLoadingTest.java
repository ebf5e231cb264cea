package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.Set;
import java.util.stream.Collectors;

import org.jblock.api.spi.BlockDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class DriverRegistryLoadingTest {
    @RegisterExtension
    final RegistryLog log = new RegistryLog();

    @TempDir
    Path dir;

    /** A registry loaded from a services file that lists {@code providers}, beside the class path's. */
    private DriverRegistry loadWith(String... providers) throws IOException {
        Path services = dir.resolve("META-INF/services/" + BlockDriver.class.getName());
        Files.createDirectories(services.getParent());
        Files.write(services, List.of(providers));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            return DriverRegistry.load(loader);
        }
    }

    private static String provider(Class<?> type) {
        return type.getName();
    }

    private static List<String> names(DriverRegistry registry) {
        return registry.drivers().stream().map(BlockDriver::name).collect(Collectors.toList());
    }

    @Test
    void finds_the_built_in_raw_driver_on_the_class_path() {
        DriverRegistry registry = DriverRegistry.load();

        assertEquals(List.of("raw"), names(registry));
        assertEquals("org.jblock.driver.raw.RawDriver", registry.drivers().get(0).getClass().getName());
        assertEquals(List.of(), registry.problems());
    }

    @Test
    void registers_third_party_drivers_beside_the_built_in_ones_sorted_by_name() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.TieB.class), provider(TestDrivers.Magic.class),
                provider(TestDrivers.TieA.class));

        assertEquals(List.of("magic", "raw", "tie-a", "tie-b"), names(registry));
        assertEquals(List.of(), registry.problems());
    }

    @Test
    void a_provider_that_cannot_be_constructed_is_logged_and_listed_not_fatal() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.BrokenConstructor.class),
                provider(TestDrivers.Magic.class));

        assertEquals(List.of("magic", "raw"), names(registry));
        DriverProblem problem = registry.problems().get(0);
        assertEquals(1, registry.problems().size());
        assertEquals(provider(TestDrivers.BrokenConstructor.class), problem.provider());
        assertEquals("the driver could not be started: java.lang.IllegalStateException: no licence file",
                problem.message());
        assertInstanceOf(ServiceConfigurationError.class, problem.cause());
        assertEquals(1, log.warnings().size());
        assertTrue(log.warnings().get(0).startsWith("Driver " + provider(TestDrivers.BrokenConstructor.class)
                + " ignored: the driver could not be started: java.lang.IllegalStateException: no licence file"),
                log.warnings().get(0));
    }

    @Test
    void a_listed_class_that_is_missing_or_not_a_driver_is_isolated() throws Exception {
        DriverRegistry registry = loadWith("com.example.NoSuchDriver", provider(TestDrivers.class),
                provider(TestDrivers.Magic.class));

        assertEquals(List.of("magic", "raw"), names(registry));
        assertEquals(2, registry.problems().size(), registry.problems().toString());
        for (DriverProblem problem : registry.problems()) {
            assertEquals("service lookup", problem.provider());
            assertInstanceOf(ServiceConfigurationError.class, problem.cause());
        }
        assertTrue(registry.problems().get(0).message().contains("com.example.NoSuchDriver"),
                registry.problems().get(0).message());
        assertTrue(registry.problems().get(1).message().contains(provider(TestDrivers.class) + " not a subtype"),
                registry.problems().get(1).message());
    }

    @Test
    void a_second_driver_with_a_taken_name_is_not_registered() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.Magic.class),
                provider(TestDrivers.DuplicateMagic.class));

        assertInstanceOf(TestDrivers.Magic.class, registry.driver("magic"));
        assertEquals(List.of(new DriverProblem(provider(TestDrivers.DuplicateMagic.class),
                "the name 'magic' is already taken by " + provider(TestDrivers.Magic.class)
                        + "; the driver is not registered", null)), registry.problems());
    }

    @Test
    void the_built_in_names_are_refused_to_classes_outside_their_packages() throws Exception {
        DriverRegistry loaded = loadWith(provider(TestDrivers.ImpostorRaw.class));
        DriverRegistry impostorFirst = DriverRegistry.of(new TestDrivers.ImpostorRaw(),
                loaded.driver("raw"));

        for (DriverRegistry registry : List.of(loaded, impostorFirst)) {
            assertEquals("org.jblock.driver.raw.RawDriver", registry.driver("raw").getClass().getName());
            assertEquals(List.of(new DriverProblem(provider(TestDrivers.ImpostorRaw.class),
                    "the name 'raw' is reserved for jblock's own driver in the package org.jblock.driver.raw;"
                            + " the driver is not registered", null)), registry.problems());
        }
    }

    @Test
    void a_driver_without_a_valid_name_is_not_registered() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.BadName.class), provider(TestDrivers.NameThrows.class));

        assertEquals(List.of("raw"), names(registry));
        assertEquals("'Bad Name' is not a format name (lower-case letters, digits, '-' and '_', starting with a letter);"
                + " the driver is not registered", registry.problems().get(0).message());
        assertEquals("the driver's name() failed: java.lang.UnsupportedOperationException: no name yet",
                registry.problems().get(1).message());
        assertEquals(2, log.warnings().size());
    }

    @Test
    void an_unknown_format_name_lists_the_names_that_exist() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.Magic.class));

        UnknownFormatException e = assertThrows(UnknownFormatException.class, () -> registry.driver("qcow2"));
        assertEquals("Unknown driver 'qcow2' (known formats: magic, raw)", e.getMessage());
        assertThrows(UnknownFormatException.class, () -> registry.driver(null));
        assertSame(registry.drivers().get(0), registry.driver("magic"));
    }

    @Test
    void lists_drivers_with_their_options() throws Exception {
        DriverRegistry registry = loadWith(provider(TestDrivers.Magic.class));

        List<DriverInfo> listed = registry.describe();
        assertEquals(2, listed.size());
        DriverInfo magic = listed.get(0);
        assertEquals("magic", magic.name());
        assertEquals("test format magic", magic.description());
        assertFalse(magic.builtIn());
        assertEquals(List.of(TestDrivers.HeaderFormat.STRICT), magic.openOptions());
        assertEquals(List.of(), magic.createOptions());
        DriverInfo raw = listed.get(1);
        assertEquals("raw", raw.name());
        assertTrue(raw.builtIn());
        assertEquals(List.of("preallocation"),
                raw.createOptions().stream().map(o -> o.name()).collect(Collectors.toList()));
    }

    @Test
    void a_registry_of_no_drivers_is_empty() {
        DriverRegistry registry = DriverRegistry.of();

        assertEquals(List.of(), registry.drivers());
        UnknownFormatException e = assertThrows(UnknownFormatException.class, () -> registry.driver("raw"));
        assertEquals("Unknown driver 'raw' (known formats: )", e.getMessage());
    }

    /** On the module path, {@link DriverRegistry#load()} looks in its own module layer. */
    @Test
    void finds_drivers_in_its_module_layer() throws Exception {
        Path api = location(BlockDriver.class);
        Path raw = location(DriverRegistry.load().driver("raw").getClass());
        Path registry = location(DriverRegistry.class);
        ModuleFinder finder = ModuleFinder.of(api, raw, registry);
        Configuration configuration = ModuleLayer.boot().configuration()
                .resolveAndBind(finder, ModuleFinder.of(), Set.of("org.jblock.registry"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());

        Class<?> layered = layer.findLoader("org.jblock.registry").loadClass(DriverRegistry.class.getName());
        Object loaded = layered.getMethod("load").invoke(null);
        List<?> drivers = (List<?>) layered.getMethod("drivers").invoke(loaded);
        List<?> problems = (List<?>) layered.getMethod("problems").invoke(loaded);

        assertEquals(1, drivers.size());
        Object driver = drivers.get(0);
        Method name = layered.getModule().getLayer().findLoader("org.jblock.api")
                .loadClass(BlockDriver.class.getName()).getMethod("name");
        assertEquals("raw", name.invoke(driver));
        assertEquals("org.jblock.driver.raw", driver.getClass().getModule().getName());
        assertEquals(List.of(), problems);
        Object info = ((List<?>) layered.getMethod("describe").invoke(loaded)).get(0);
        assertEquals(Boolean.TRUE, info.getClass().getMethod("builtIn").invoke(info));
        assertNull(DriverRegistry.class.getModule().getName(), "this test itself runs on the class path");
    }

    private static Path location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
