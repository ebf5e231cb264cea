package org.jblock.tests.thirdparty;

import org.jblock.api.spi.BlockDriver;
import org.jblock.tests.contract.BlockDriverContract;
import org.jblock.tests.thirdparty.tiny.TinyDriver;

/** The test-only tiny driver passes the contract kit, as a third party's driver would. */
class TinyDriverContractTest extends BlockDriverContract {

    @Override
    protected BlockDriver driver() {
        return new TinyDriver();
    }
}
