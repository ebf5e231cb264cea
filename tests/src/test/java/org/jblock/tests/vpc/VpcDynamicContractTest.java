package org.jblock.tests.vpc;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.vpc.VpcDriver;
import org.jblock.tests.contract.BlockDriverContract;

/**
 * The VHD driver meets the driver contract with dynamic images. The smallest block size makes the
 * random requests cross many blocks (and their bitmaps) in a small image; force_size keeps the size
 * exact, so the model and the image agree byte for byte.
 */
class VpcDynamicContractTest extends BlockDriverContract {
    private static final int BLOCK_SIZE = 512 * 1024;

    @Override
    protected BlockDriver driver() {
        return new VpcDriver();
    }

    @Override
    protected String createOptions() {
        return "subformat=dynamic,force_size=on,block_size=" + BLOCK_SIZE;
    }

    @Override
    protected int granularity() {
        return BLOCK_SIZE;
    }
}
