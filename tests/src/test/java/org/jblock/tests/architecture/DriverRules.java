package org.jblock.tests.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import org.jblock.api.spi.BlockDriver;

/**
 * The rules every driver follows, jblock's own and a third party's alike, so that the rule classes
 * for the shipped drivers and for the test-only driver state them once.
 */
final class DriverRules {

    /** ServiceLoader instantiates a provider through its public no-argument constructor. */
    private static final ArchCondition<JavaClass> HAVE_A_PUBLIC_NO_ARGUMENT_CONSTRUCTOR =
            new ArchCondition<>("have a public no-argument constructor") {
                @Override
                public void check(JavaClass driver, ConditionEvents events) {
                    boolean has = driver.getConstructors().stream().anyMatch(constructor ->
                            constructor.getRawParameterTypes().isEmpty()
                                    && constructor.getModifiers().contains(JavaModifier.PUBLIC));
                    events.add(new SimpleConditionEvent(driver, has, driver.getName()
                            + (has ? " has" : " has no") + " public no-argument constructor"));
                }
            };

    private DriverRules() {
    }

    /** @return the rule that the classes in {@code driverPackages} (drivers or protocols) use the api and the JDK alone */
    static ArchRule dependOnlyOnTheApiAndTheJdk(String driverPackages) {
        return dependOnlyOnTheApiAndTheJdk(driverPackages, null);
    }

    /** As above, but for the packages {@code exempt}, which a rule of their own covers. */
    static ArchRule dependOnlyOnTheApiAndTheJdk(String driverPackages, String exempt) {
        var selected = classes().that().resideInAPackage(driverPackages);
        if (exempt != null) {
            selected = selected.and().resideOutsideOfPackage(exempt);
        }
        return selected
                // com.sun.nio.file: the JDK's own extended file options (ExtendedOpenOption.DIRECT, O_DIRECT)
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.jblock.api..", driverPackages, "java..", "javax..",
                        "com.sun.nio.file..")
                .because("a driver or protocol is a plug-in of the block-api contract: it must load next to any "
                        + "registry and any other plug-ins, with the JDK and block-api alone");
    }

    /** @return the rule that BlockDriver implementations are final, public and constructible by ServiceLoader */
    static ArchRule finalWithAPublicNoArgumentConstructor() {
        return finalWithAPublicNoArgumentConstructor(BlockDriver.class);
    }

    /** @return the rule that implementations of the service {@code spi} are final, public and constructible by ServiceLoader */
    static ArchRule finalWithAPublicNoArgumentConstructor(Class<?> spi) {
        return classes().that().implement(spi).and().doNotHaveModifier(JavaModifier.ABSTRACT)
                .should().haveModifier(JavaModifier.FINAL)
                .andShould().bePublic()
                .andShould(HAVE_A_PUBLIC_NO_ARGUMENT_CONSTRUCTOR)
                .because("ServiceLoader creates providers through a public no-argument constructor, and a "
                        + "driver or protocol is a stateless factory that nobody extends (an abstract base "
                        + "shared by a module's own providers is never created)");
    }
}
