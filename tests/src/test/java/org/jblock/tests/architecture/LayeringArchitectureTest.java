package org.jblock.tests.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The layers of DESIGN.md: shell → ops → registry → api ← drivers, shell → nbd → api, and the contract kit on the api alone. */
@AnalyzeClasses(packages = "org.jblock", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringArchitectureTest {

    @ArchTest
    static final ArchRule the_api_depends_on_the_jdk_alone =
            classes().that().resideInAPackage("org.jblock.api..")
                    .should().onlyDependOnClassesThat().resideInAnyPackage("org.jblock.api..", "java..")
                    .because("block-api is the contract every module and every third party builds on");

    @ArchTest
    static final ArchRule the_registry_depends_on_no_driver =
            noClasses().that().resideInAPackage("org.jblock.registry..")
                    .should().dependOnClassesThat().resideInAPackage("org.jblock.driver..")
                    .because("the registry finds drivers through ServiceLoader and never links one");

    @ArchTest
    static final ArchRule the_shell_depends_on_no_driver_class =
            noClasses().that().resideInAPackage("org.jblock.shell..")
                    .should().dependOnClassesThat().resideInAPackage("org.jblock.driver..")
                    .because("the shell reaches drivers through the registry; drivers are runtime-only");

    @ArchTest
    static final ArchRule the_blkdebug_filter_depends_on_the_api_and_the_jdk_alone =
            classes().that().resideInAPackage("org.jblock.protocol.blkdebug..")
                    .should().onlyDependOnClassesThat()
                    .resideInAnyPackage("org.jblock.api..", "org.jblock.protocol.blkdebug..", "java..")
                    .because("a filter is a protocol plugin: it reaches the storage it filters through the"
                            + " child the registry opens for it, never through another module of jblock");

    @ArchTest
    static final ArchRule the_null_protocols_depend_on_the_api_and_the_jdk_alone =
            classes().that().resideInAPackage("org.jblock.protocol.nullco..")
                    .should().onlyDependOnClassesThat()
                    .resideInAnyPackage("org.jblock.api..", "org.jblock.protocol.nullco..", "java..")
                    .because("null-co and null-aio keep nothing and reach nothing: a test device needs no"
                            + " other part of jblock");

    @ArchTest
    static final ArchRule the_nbd_engine_depends_on_the_api_alone =
            classes().that().resideInAPackage("org.jblock.nbd..")
                    .should().onlyDependOnClassesThat().resideInAnyPackage("org.jblock.nbd..", "org.jblock.api..", "java..")
                    .because("the NBD server serves any BlockImage its caller opened: it picks no driver and "
                            + "knows no registry, so Java code embeds it without the command");

    @ArchTest
    static final ArchRule the_nbd_wire_codec_knows_no_server =
            noClasses().that().resideInAPackage("org.jblock.nbd.wire..")
                    .should().dependOnClassesThat().resideInAnyPackage("org.jblock.api..")
                    .orShould().dependOnClassesThat().resideInAPackage("org.jblock.nbd")
                    .because("one codec serves the server and the NBD client: it holds the protocol's "
                            + "structures and nothing of either side");

    @ArchTest
    static final ArchRule the_engines_depend_on_no_driver_and_no_tool =
            noClasses().that().resideInAPackage("org.jblock.ops..")
                    .should().dependOnClassesThat().resideInAnyPackage("org.jblock.driver..", "org.jblock.shell..")
                    .because("the engines work on any image the registry opens, for the tools and for Java callers alike");

    @ArchTest
    static final ArchRule only_the_tools_use_the_engines =
            noClasses().that().resideInAnyPackage("org.jblock.api..", "org.jblock.registry..", "org.jblock.driver..")
                    .should().dependOnClassesThat().resideInAPackage("org.jblock.ops..")
                    .because("the engines sit above the registry: shell → ops → registry → api");

    @ArchTest
    static final ArchRule the_contract_kit_depends_on_the_api_and_junit_alone =
            classes().that().resideInAPackage("org.jblock.tests.contract..")
                    .should().onlyDependOnClassesThat()
                    .resideInAnyPackage("org.jblock.api..", "org.jblock.tests.contract..", "org.junit..", "java..")
                    .because("a third party tests its driver with the kit without taking in jblock's own drivers");

    @ArchTest
    static final ArchRule packages_are_free_of_cycles =
            slices().matching("org.jblock.(**)").should().beFreeOfCycles()
                    .because("a package cycle makes a layer impossible to use, test or split off alone");
}
