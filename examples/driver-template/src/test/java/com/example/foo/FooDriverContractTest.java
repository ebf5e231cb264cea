package com.example.foo;

import org.jblock.api.spi.BlockDriver;
import org.jblock.tests.contract.BlockDriverContract;

/** Every check of jblock's driver contract, run on the foo driver. */
class FooDriverContractTest extends BlockDriverContract {
    @Override
    protected BlockDriver driver() {
        return new FooDriver();
    }
}
