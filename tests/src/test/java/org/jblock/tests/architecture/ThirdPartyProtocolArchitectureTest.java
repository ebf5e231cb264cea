package org.jblock.tests.architecture;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import org.jblock.api.spi.BlockProtocol;

/**
 * The plug-in rules hold for the test-only xor protocol too, imported from the test classes as
 * {@link ThirdPartyDriverArchitectureTest} imports the tiny driver: its package holds the protocol
 * alone, as a third party's protocol module would.
 */
@AnalyzeClasses(packages = "org.jblock.tests.thirdparty.xor")
class ThirdPartyProtocolArchitectureTest {

    @ArchTest
    static final ArchRule the_test_only_protocol_depends_only_on_the_api_and_the_jdk =
            DriverRules.dependOnlyOnTheApiAndTheJdk("org.jblock.tests.thirdparty.xor..");

    @ArchTest
    static final ArchRule the_test_only_protocol_is_final_with_a_public_no_argument_constructor =
            DriverRules.finalWithAPublicNoArgumentConstructor(BlockProtocol.class);
}
