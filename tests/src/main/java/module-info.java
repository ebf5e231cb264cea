/**
 * The driver contract kit: abstract JUnit 5 tests that any {@code BlockDriver} must pass. Third
 * parties depend on {@code org.jblock:tests} in test scope and extend
 * {@link org.jblock.tests.contract.BlockDriverContract}.
 */
module org.jblock.tests {
    requires transitive org.jblock.api;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;

    exports org.jblock.tests.contract;

    // The probe checks include empty images of the other drivers that are present.
    uses org.jblock.api.spi.BlockDriver;
}
