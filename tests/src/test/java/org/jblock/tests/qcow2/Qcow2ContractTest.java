package org.jblock.tests.qcow2;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.qcow2.Qcow2Driver;
import org.jblock.tests.contract.BlockDriverContract;

/**
 * The qcow2 driver meets the driver contract. Small clusters make the random requests cross many
 * clusters, L2 tables and refcount blocks in a small image; the size (8.5 clusters) is a multiple of
 * 512 bytes, so it is kept exact.
 */
class Qcow2ContractTest extends BlockDriverContract {
    private static final int CLUSTER = 4096;

    @Override
    protected BlockDriver driver() {
        return new Qcow2Driver();
    }

    @Override
    protected String createOptions() {
        return "cluster_size=" + CLUSTER;
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
