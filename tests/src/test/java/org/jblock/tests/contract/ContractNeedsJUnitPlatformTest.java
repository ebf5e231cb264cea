package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A contract test class run by a runner that is not JUnit Platform (Surefire 2.12's plain-class
 * runner calls every public no-argument {@code test...} method) fails instead of passing empty.
 */
class ContractNeedsJUnitPlatformTest {
    @Test
    void a_plain_class_runner_finds_one_test_and_it_fails_naming_the_cause() throws Exception {
        List<Method> plainTests = new ArrayList<>();
        for (Method method : RawDriverContractTest.class.getMethods()) {
            if (method.getName().startsWith("test") && method.getParameterCount() == 0
                    && Modifier.isPublic(method.getModifiers()) && !Modifier.isStatic(method.getModifiers())) {
                plainTests.add(method);
            }
        }
        assertEquals(1, plainTests.size(), plainTests::toString);
        InvocationTargetException failure = assertThrows(InvocationTargetException.class,
                () -> plainTests.get(0).invoke(new RawDriverContractTest()));
        assertTrue(failure.getCause() instanceof AssertionError);
        assertTrue(failure.getCause().getMessage().contains("need JUnit Platform"), failure.getCause().getMessage());
    }
}
