package org.jblock.tests.qcow2;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.qcow2.Qcow2Driver;
import org.jblock.tests.contract.BlockDriverContract;

/**
 * The qcow2 driver meets the driver contract. Small clusters make the random requests cross many
 * clusters, L2 tables and refcount blocks in a small image; the size (8.5 clusters) is a multiple of
 * 512 bytes, so it is kept exact. {@link Qcow2V2ContractTest} runs the same with version 2 images.
 */
class Qcow2ContractTest extends BlockDriverContract {

    /** @return the cluster size the images are made with */
    protected int clusterSize() {
        return 4096;
    }

    /** @return create options besides the cluster size */
    protected String moreCreateOptions() {
        return "";
    }

    @Override
    protected BlockDriver driver() {
        return new Qcow2Driver();
    }

    @Override
    protected String createOptions() {
        return moreCreateOptions() + "cluster_size=" + clusterSize();
    }

    @Override
    protected int granularity() {
        return clusterSize();
    }

    /** Sizes between sectors are rounded up to whole sectors, as qemu-img rounds them. */
    @Override
    protected long expectedSize(long requested) {
        return (requested + 511) & ~511L;
    }
}
