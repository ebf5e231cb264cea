package org.jblock.tests.vpc;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.vpc.VpcDriver;
import org.jblock.tests.contract.BlockDriverContract;

/**
 * The VHD driver meets the driver contract with fixed images: identity-mapped data and a footer at
 * the end, which the driver recognises by its checksum and disk type.
 */
class VpcFixedContractTest extends BlockDriverContract {

    @Override
    protected BlockDriver driver() {
        return new VpcDriver();
    }

    @Override
    protected String createOptions() {
        return "subformat=fixed,force_size=on";
    }

    /** A differencing (dynamic) child over a fixed parent: a chain whose parent is a fixed VHD. */
    @Override
    protected String layeredCreateOptions() {
        return "force_size=on";
    }
}
