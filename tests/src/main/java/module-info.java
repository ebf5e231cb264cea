/**
 * The contract kits: abstract JUnit 5 tests that any {@code BlockDriver}
 * ({@link org.jblock.tests.contract.BlockDriverContract}) and any protocol's {@code BlockFile}
 * ({@link org.jblock.tests.contract.BlockFileContract}) must pass. Third parties depend on
 * {@code org.jblock:tests} in test scope and extend them.
 */
module org.jblock.tests {
    requires transitive org.jblock.api;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;

    exports org.jblock.tests.contract;

    // The probe checks include empty images of the other drivers that are present.
    uses org.jblock.api.spi.BlockDriver;
    // Local-file storage for the checks comes from the file protocol.
    uses org.jblock.api.spi.BlockProtocol;
}
