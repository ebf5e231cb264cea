package org.jblock.tests.qcow2;

/**
 * The qcow2 driver meets the driver contract with version 2 images (compat=0.10), which have no zero
 * clusters: write-zeroes and discard take other paths there.
 */
class Qcow2V2ContractTest extends Qcow2ContractTest {

    @Override
    protected int clusterSize() {
        return 512;
    }

    @Override
    protected String moreCreateOptions() {
        return "compat=0.10,";
    }
}
