package org.jblock.tests.contract;

import org.jblock.api.spi.BlockDriver;
import org.jblock.driver.raw.RawDriver;

/** The raw driver meets the driver contract; as the fallback format it claims files only weakly. */
class RawDriverContractTest extends BlockDriverContract {

    @Override
    protected BlockDriver driver() {
        return new RawDriver();
    }

    @Override
    protected boolean recognisesContent() {
        return false;
    }
}
