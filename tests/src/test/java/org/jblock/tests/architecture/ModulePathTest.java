package org.jblock.tests.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolvedModule;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.raw.RawDriver;
import org.jblock.driver.qcow2.Qcow2Driver;
import org.jblock.driver.vpc.VpcDriver;
import org.jblock.protocol.file.FileProtocol;
import org.jblock.protocol.http.HttpProtocol;
import org.jblock.protocol.http.HttpsProtocol;
import org.jblock.registry.DriverRegistry;
import org.jblock.tests.thirdparty.tiny.TinyDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JPMS wiring that ArchUnit cannot see: a {@link ModuleLayer} built from the module artifacts
 * (jars after {@code package}, class folders before) finds the drivers through the registry's
 * {@code uses}, the driver modules export nothing, and each driver is registered for the class path
 * too; a third party's driver module (the test-only tiny driver, given a module-info here) joins the
 * layer with nothing but its {@code provides} line. The tests run on the class path; only these
 * layers run the modules as modules.
 */
class ModulePathTest {
    private static final String SERVICE = BlockDriver.class.getName();
    private static final String REGISTRY_MODULE = "org.jblock.registry";
    private static final String PROTOCOL_SERVICE = "org.jblock.api.spi.BlockProtocol";
    private static final String FILE_PROTOCOL_MODULE = "org.jblock.protocol.file";
    private static final String HTTP_PROTOCOL_MODULE = "org.jblock.protocol.http";
    private static final String DRIVER_MODULE_PREFIX = "org.jblock.driver.";
    private static final String TINY_MODULE = "org.jblock.tests.thirdparty.tiny";

    /** Where each module's artifact is, found through a class it holds. */
    private static Map<String, Path> artifacts;
    private static ModuleLayer layer;

    @BeforeAll
    static void buildTheLayer() throws URISyntaxException {
        artifacts = new TreeMap<>(Map.of(
                "org.jblock.api", artifactOf(BlockDriver.class),
                "org.jblock.driver.raw", artifactOf(RawDriver.class),
                "org.jblock.driver.vpc", artifactOf(VpcDriver.class),
                "org.jblock.driver.qcow2", artifactOf(Qcow2Driver.class),
                FILE_PROTOCOL_MODULE, artifactOf(FileProtocol.class),
                HTTP_PROTOCOL_MODULE, artifactOf(HttpProtocol.class),
                REGISTRY_MODULE, artifactOf(DriverRegistry.class)));
        layer = layerWith();
    }

    /** @return a layer of jblock's modules and {@code more} module folders, resolved from the registry */
    private static ModuleLayer layerWith(Path... more) {
        List<Path> paths = new ArrayList<>(artifacts.values());
        paths.addAll(List.of(more));
        ModuleFinder finder = ModuleFinder.of(paths.toArray(Path[]::new));
        ModuleLayer boot = ModuleLayer.boot();
        Configuration configuration = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), Set.of(REGISTRY_MODULE));
        // The platform loader as parent: nothing may come from the class path this test runs on.
        return boot.defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());
    }

    /** @return each driver the registry's own {@code load()} finds in {@code modules}, by name, with its module */
    private static Map<String, Module> driversFoundByTheRegistry(ModuleLayer modules) throws ReflectiveOperationException {
        Class<?> registryType = modules.findLoader(REGISTRY_MODULE).loadClass(DriverRegistry.class.getName());
        Class<?> driverType = modules.findLoader("org.jblock.api").loadClass(SERVICE);
        Object registry = registryType.getMethod("load").invoke(null);
        Map<String, Module> found = new TreeMap<>();
        for (Object driver : (List<?>) registryType.getMethod("drivers").invoke(registry)) {
            found.put((String) driverType.getMethod("name").invoke(driver), driver.getClass().getModule());
        }
        return found;
    }

    @Test
    void the_registry_in_the_layer_finds_raw_vpc_and_qcow2_as_modules() throws ReflectiveOperationException {
        Map<String, Module> found = driversFoundByTheRegistry(layer);
        assertEquals(Set.of("qcow2", "raw", "vpc"), found.keySet(), "drivers the registry finds in the module layer");
        for (Map.Entry<String, Module> driver : found.entrySet()) {
            assertEquals(DRIVER_MODULE_PREFIX + driver.getKey(), driver.getValue().getName(),
                    "the module the " + driver.getKey() + " driver was loaded from");
            assertSame(layer, driver.getValue().getLayer(), "the layer of the " + driver.getKey() + " driver");
        }
    }

    @Test
    void a_third_party_driver_module_joins_the_layer_through_its_provides_line(@TempDir Path folder)
            throws IOException, ReflectiveOperationException, URISyntaxException {
        ModuleLayer withTiny = layerWith(tinyDriverModule(folder));
        Map<String, Module> found = driversFoundByTheRegistry(withTiny);
        assertEquals(Set.of("qcow2", "raw", "tiny", "vpc"), found.keySet(), "drivers found with the tiny module added");
        assertEquals(TINY_MODULE, found.get("tiny").getName(), "the module the tiny driver was loaded from");
        ModuleDescriptor tiny = withTiny.findModule(TINY_MODULE).orElseThrow().getDescriptor();
        assertEquals(Set.of(), tiny.exports(), "the tiny module exports nothing");
        assertEquals(List.of(TinyDriver.class.getName()), providersOf(tiny));
    }

    /**
     * The test-only tiny driver packed as a third party would ship it: its package's classes and a
     * {@code module-info} that requires block-api and provides the driver, compiled here with the
     * JDK's javac, since the test sources themselves are no module of their own.
     */
    private static Path tinyDriverModule(Path folder) throws IOException, URISyntaxException {
        Path module = Files.createDirectories(folder.resolve(TINY_MODULE));
        String packagePath = TinyDriver.class.getPackageName().replace('.', '/');
        Path compiled = artifactOf(TinyDriver.class).resolve(packagePath);
        Path target = Files.createDirectories(module.resolve(packagePath));
        try (var classes = Files.list(compiled)) {
            for (Path file : classes.filter(f -> f.toString().endsWith(".class")).toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        Path descriptor = Files.writeString(folder.resolve("module-info.java"), "module " + TINY_MODULE + " {\n"
                + "    requires org.jblock.api;\n"
                + "    provides " + SERVICE + " with " + TinyDriver.class.getName() + ";\n"
                + "}\n");
        ToolProvider javac = ToolProvider.findFirst("javac").orElse(null);
        assertNotNull(javac, "the JDK's javac is missing: run the tests on a JDK");
        run(javac, "-d", module.toString(), "--release", "17",
                "--module-path", artifacts.get("org.jblock.api").toString(),
                "--patch-module", TINY_MODULE + "=" + module, descriptor.toString());
        return module;
    }

    @Test
    void the_registry_in_the_layer_finds_the_file_protocol_whose_module_exports_nothing()
            throws ReflectiveOperationException, IOException {
        Class<?> registryType = layer.findLoader(REGISTRY_MODULE).loadClass(DriverRegistry.class.getName());
        Object registry = registryType.getMethod("load").invoke(null);
        assertEquals(List.of("file", "host_cdrom", "host_device", "http", "https"),
                registryType.getMethod("protocolNames").invoke(registry));
        ModuleDescriptor file = layer.findModule(FILE_PROTOCOL_MODULE).orElseThrow().getDescriptor();
        assertEquals(Set.of(), file.exports(), "the file protocol exports nothing");
        assertEquals(List.of(PROTOCOL_SERVICE), file.provides().stream().map(ModuleDescriptor.Provides::service).toList());
        List<String> providers = List.of(FileProtocol.class.getName(), "org.jblock.protocol.file.HostDeviceProtocol",
                "org.jblock.protocol.file.HostCdromProtocol");
        assertEquals(providers, file.provides().iterator().next().providers());
        assertEquals(providers, servicesFileOf(artifacts.get(FILE_PROTOCOL_MODULE), PROTOCOL_SERVICE),
                "META-INF/services must name what module-info provides");
    }

    @Test
    void the_http_protocols_module_exports_nothing_and_provides_both_schemes() throws IOException {
        ModuleDescriptor http = layer.findModule(HTTP_PROTOCOL_MODULE).orElseThrow().getDescriptor();
        assertEquals(Set.of(), http.exports(), "the http protocol exports nothing");
        List<String> providers = List.of(HttpProtocol.class.getName(), HttpsProtocol.class.getName());
        assertEquals(List.of(PROTOCOL_SERVICE), http.provides().stream().map(ModuleDescriptor.Provides::service).toList());
        assertEquals(providers, http.provides().iterator().next().providers());
        assertEquals(providers, servicesFileOf(artifacts.get(HTTP_PROTOCOL_MODULE), PROTOCOL_SERVICE),
                "META-INF/services must name what module-info provides");
    }

    @Test
    void service_loader_in_the_layer_lists_each_driver_module_as_a_provider() throws ClassNotFoundException {
        Class<?> driverType = layer.findLoader("org.jblock.api").loadClass(SERVICE);
        Set<String> providers = ServiceLoader.load(layer, driverType).stream()
                .map(provider -> provider.type().getModule().getName() + "/" + provider.type().getName())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("org.jblock.driver.raw/" + RawDriver.class.getName(),
                "org.jblock.driver.vpc/" + VpcDriver.class.getName(),
                "org.jblock.driver.qcow2/" + Qcow2Driver.class.getName()), providers);
    }

    @Test
    void driver_modules_export_and_open_nothing_and_provide_the_driver_service() {
        List<ModuleDescriptor> drivers = driverModules();
        assertEquals(Set.of("org.jblock.driver.raw", "org.jblock.driver.vpc", "org.jblock.driver.qcow2"),
                drivers.stream().map(ModuleDescriptor::name).collect(Collectors.toSet()), "driver modules resolved");
        for (ModuleDescriptor driver : drivers) {
            assertEquals(Set.of(), driver.exports(), driver.name() + " must export no package");
            assertEquals(Set.of(), driver.opens(), driver.name() + " must open no package");
            assertFalse(driver.isOpen(), driver.name() + " must not be an open module");
            assertEquals(List.of(SERVICE), driver.provides().stream().map(ModuleDescriptor.Provides::service).toList(),
                    driver.name() + " provides the driver service, and only it");
            assertTrue(driver.requires().stream().noneMatch(r -> r.name().startsWith(DRIVER_MODULE_PREFIX)
                            || r.name().equals(REGISTRY_MODULE)),
                    () -> driver.name() + " requires " + driver.requires() + ": a driver needs block-api alone");
        }
    }

    @Test
    void each_driver_is_registered_for_the_class_path_as_for_the_module_path() throws IOException {
        for (ModuleDescriptor driver : driverModules()) {
            assertEquals(providersOf(driver), servicesFileOf(artifacts.get(driver.name())),
                    driver.name() + ": META-INF/services/" + SERVICE + " must name what module-info provides");
        }
    }

    @Test
    void the_jar_tool_describes_each_driver_jar_with_its_provides_line_and_no_exports(@TempDir Path folder)
            throws IOException {
        ToolProvider jar = ToolProvider.findFirst("jar").orElse(null);
        assertNotNull(jar, "the JDK's jar tool is missing: run the tests on a JDK");
        for (ModuleDescriptor driver : driverModules()) {
            Path artifact = jarOf(jar, driver.name(), folder);
            String description = run(jar, "--describe-module", "--file", artifact.toString());
            String provides = "provides " + SERVICE + " with " + String.join(" ", providersOf(driver));
            assertTrue(description.lines().anyMatch(line -> line.strip().equals(provides)),
                    () -> "jar --describe-module " + artifact + " lacks '" + provides + "':\n" + description);
            assertTrue(description.lines().map(String::strip).noneMatch(line -> line.startsWith("exports")
                    || line.startsWith("opens")), () -> "jar --describe-module " + artifact + " shows an export:\n"
                    + description);
        }
    }

    private static List<String> providersOf(ModuleDescriptor module) {
        return module.provides().stream().filter(provides -> provides.service().equals(SERVICE))
                .flatMap(provides -> provides.providers().stream()).toList();
    }

    private static List<ModuleDescriptor> driverModules() {
        return layer.configuration().modules().stream()
                .map(ResolvedModule::reference)
                .map(java.lang.module.ModuleReference::descriptor)
                .filter(descriptor -> descriptor.name().startsWith(DRIVER_MODULE_PREFIX))
                .sorted((a, b) -> a.name().compareTo(b.name()))
                .toList();
    }

    /**
     * The module's jar as Maven built it; when the build stopped before {@code package} (a class
     * folder), a jar packed from that folder, so the jar tool always has one to describe.
     */
    private static Path jarOf(ToolProvider jar, String module, Path folder) {
        Path artifact = artifacts.get(module);
        if (!Files.isDirectory(artifact)) {
            return artifact;
        }
        Path packed = folder.resolve(module + ".jar");
        run(jar, "--create", "--file", packed.toString(), "-C", artifact.toString(), ".");
        return packed;
    }

    private static String run(ToolProvider tool, String... arguments) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = tool.run(new PrintWriter(out), new PrintWriter(err), arguments);
        assertEquals(0, status, () -> tool.name() + " " + String.join(" ", arguments) + " failed:\n" + err);
        return out.toString();
    }

    /** @return the provider class names the artifact's service file lists, comments and blanks left out */
    private static List<String> servicesFileOf(Path artifact) throws IOException {
        return servicesFileOf(artifact, SERVICE);
    }

    private static List<String> servicesFileOf(Path artifact, String service) throws IOException {
        String entry = "META-INF/services/" + service;
        String text;
        if (Files.isDirectory(artifact)) {
            Path file = artifact.resolve(entry);
            assertTrue(Files.isRegularFile(file), () -> artifact + " has no " + entry);
            text = Files.readString(file);
        } else {
            try (JarFile jar = new JarFile(artifact.toFile())) {
                assertNotNull(jar.getEntry(entry), () -> artifact + " has no " + entry);
                text = new String(jar.getInputStream(jar.getEntry(entry)).readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        List<String> providers = new ArrayList<>();
        for (String line : text.lines().toList()) {
            String name = line.replaceFirst("#.*", "").strip();
            if (!name.isEmpty()) {
                providers.add(name);
            }
        }
        return providers;
    }

    private static Path artifactOf(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
