package org.jblock.tests.architecture;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The driver rules hold for the test-only tiny driver too. The other rule classes import main
 * classes only, so this one imports the tiny driver's package from the test classes; the package
 * holds the driver alone, as a third party's driver module would, and its tests live one level up.
 */
@AnalyzeClasses(packages = "org.jblock.tests.thirdparty.tiny")
class ThirdPartyDriverArchitectureTest {

    @ArchTest
    static final ArchRule the_test_only_driver_depends_only_on_the_api_and_the_jdk =
            DriverRules.dependOnlyOnTheApiAndTheJdk("org.jblock.tests.thirdparty.tiny..");

    @ArchTest
    static final ArchRule the_test_only_driver_is_final_with_a_public_no_argument_constructor =
            DriverRules.finalWithAPublicNoArgumentConstructor();
}
