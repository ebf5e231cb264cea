package org.jblock.tests.qcow2;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.qcow2.Qcow2Driver;
import org.jblock.tests.contract.BlockDriverContract;

/**
 * The qcow2 driver meets the driver contract with version 2 images (compat=0.10), which have no zero
 * clusters: write-zeroes and discard take other paths there.
 */
class Qcow2V2ContractTest extends BlockDriverContract {
    private static final int CLUSTER = 512;

    @Override
    protected BlockDriver driver() {
        return new Qcow2Driver();
    }

    @Override
    protected String createOptions() {
        return "compat=0.10,cluster_size=" + CLUSTER;
    }

    @Override
    protected int granularity() {
        return CLUSTER;
    }

    /** Sizes between sectors are rounded up to whole sectors, as qemu-img rounds them. */
    @Override
    protected long expectedSize(long requested) {
        return (requested + 511) & ~511L;
    }
}
