package org.jblock.tests.contract;

/** Raw images created with {@code preallocation=full} (written out, not sparse) meet the contract too. */
class RawPreallocatedDriverContractTest extends RawDriverContractTest {

    @Override
    protected String createOptions() {
        return "preallocation=full";
    }
}
