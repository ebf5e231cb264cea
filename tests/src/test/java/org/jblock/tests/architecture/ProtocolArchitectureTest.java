package org.jblock.tests.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import org.jblock.api.spi.BlockProtocol;

/** Protocols are plug-ins like drivers; the registry finds them and the shell never sees the SPI. */
@AnalyzeClasses(packages = "org.jblock", importOptions = ImportOption.DoNotIncludeTests.class)
class ProtocolArchitectureTest {

    @ArchTest
    static final ArchRule protocols_depend_only_on_the_api_and_the_jdk =
            DriverRules.dependOnlyOnTheApiAndTheJdk("org.jblock.protocol..", "org.jblock.protocol.nbd..");

    @ArchTest
    static final ArchRule the_nbd_protocol_depends_on_the_api_and_the_nbd_codec_alone =
            classes().that().resideInAPackage("org.jblock.protocol.nbd..")
                    .should().onlyDependOnClassesThat()
                    .resideInAnyPackage("org.jblock.api..", "org.jblock.protocol.nbd..", "org.jblock.nbd.client..",
                            "org.jblock.nbd.wire..", "java..")
                    .because("the NBD client speaks through the one NBD codec the server uses, and nothing"
                            + " else of jblock");

    @ArchTest
    static final ArchRule the_ssh_protocol_depends_on_the_api_and_the_jdk_alone =
            classes().that().resideInAPackage("org.jblock.protocol.ssh..")
                    .should().onlyDependOnClassesThat()
                    .resideInAnyPackage("org.jblock.api..", "org.jblock.protocol.ssh..", "java..")
                    .because("it speaks SFTP itself over the system's ssh client, whose config, keys and agent"
                            + " the user already has: no SSH library, no other part of jblock");

    @ArchTest
    static final ArchRule in_the_ssh_protocol_only_the_sftp_session_runs_the_client =
            noClasses().that().resideInAPackage("org.jblock.protocol.ssh..")
                    .and().doNotHaveFullyQualifiedName("org.jblock.protocol.ssh.SftpSession")
                    .should().dependOnClassesThat().belongToAnyOf(ProcessBuilder.class, Process.class)
                    .because("one class starts the ssh client, reads what it says and stops it, so that no"
                            + " open or failure leaves a client process behind");

    @ArchTest
    static final ArchRule protocols_do_not_depend_on_each_other =
            slices().matching("org.jblock.protocol.(*)..").should().notDependOnEachOther()
                    .because("each protocol module is found through ServiceLoader and may be deployed alone;"
                            + " a filter reaches its child through ProtocolRequest.child, never a class");

    @ArchTest
    static final ArchRule protocol_classes_are_final_with_a_public_no_argument_constructor =
            DriverRules.finalWithAPublicNoArgumentConstructor(BlockProtocol.class);

    @ArchTest
    static final ArchRule the_registry_depends_on_no_protocol =
            noClasses().that().resideInAPackage("org.jblock.registry..")
                    .should().dependOnClassesThat().resideInAPackage("org.jblock.protocol..")
                    .because("the registry finds protocols through ServiceLoader and never links one");

    @ArchTest
    static final ArchRule drivers_depend_on_no_protocol =
            noClasses().that().resideInAPackage("org.jblock.driver..")
                    .should().dependOnClassesThat().resideInAPackage("org.jblock.protocol..")
                    .because("a format reads its bytes through BlockFile, wherever they live");

    @ArchTest
    static final ArchRule the_shell_never_touches_the_spi =
            noClasses().that().resideInAPackage("org.jblock.shell..")
                    // The in-memory overlay of -s is an image built on the SPI's helpers until it
                    // moves into a library module.
                    .and().doNotHaveSimpleName("SnapshotImage")
                    .should().dependOnClassesThat().resideInAnyPackage("org.jblock.api.spi..", "org.jblock.protocol..")
                    .because("the tools are thin shells over the registry: they name images and options,"
                            + " and never drivers or protocols");
}
