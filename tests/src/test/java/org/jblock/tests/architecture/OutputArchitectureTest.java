package org.jblock.tests.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;

/** The library reports through return values and exceptions; only the shell prints. */
@AnalyzeClasses(packages = "org.jblock", importOptions = ImportOption.DoNotIncludeTests.class)
class OutputArchitectureTest {

    @ArchTest
    static final ArchRule only_the_shell_writes_to_standard_streams =
            noClasses().that().resideOutsideOfPackage("org.jblock.shell..")
                    .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
                    .because("a library that prints corrupts the output of every program that embeds it; "
                            + "the shell owns the terminal");
}
