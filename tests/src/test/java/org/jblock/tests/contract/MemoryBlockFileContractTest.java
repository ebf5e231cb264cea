package org.jblock.tests.contract;

import java.io.IOException;

import org.jblock.api.BlockFile;
import org.jblock.api.MemoryBlockFile;

class MemoryBlockFileContractTest extends BlockFileContract {

    @Override
    protected BlockFile newFile(byte[] content) throws IOException {
        return MemoryBlockFile.of("mem.img", content);
    }

    @Override
    protected BlockFile reopenReadOnly(BlockFile file) {
        return ((MemoryBlockFile) file).reopen(true);
    }
}
