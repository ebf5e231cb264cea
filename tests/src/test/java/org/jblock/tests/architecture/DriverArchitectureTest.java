package org.jblock.tests.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The shipped drivers are self-contained plug-ins of the contract. */
@AnalyzeClasses(packages = "org.jblock", importOptions = ImportOption.DoNotIncludeTests.class)
class DriverArchitectureTest {

    @ArchTest
    static final ArchRule drivers_depend_only_on_the_api_and_the_jdk =
            DriverRules.dependOnlyOnTheApiAndTheJdk("org.jblock.driver..");

    @ArchTest
    static final ArchRule the_qcow2_driver_depends_only_on_the_api_and_the_jdk =
            DriverRules.dependOnlyOnTheApiAndTheJdk("org.jblock.driver.qcow2..");

    @ArchTest
    static final ArchRule drivers_do_not_depend_on_each_other =
            slices().matching("org.jblock.driver.(*)..").should().notDependOnEachOther()
                    .because("each driver module is found through ServiceLoader and may be deployed alone");

    @ArchTest
    static final ArchRule driver_classes_are_final_with_a_public_no_argument_constructor =
            DriverRules.finalWithAPublicNoArgumentConstructor();
}
