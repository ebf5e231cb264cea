package org.jblock.registry;

import java.io.IOException;
import java.util.Random;

import org.jblock.api.MemoryBlockFile;

/** Content for the registry's tests. */
final class DriverRegistryTestData {

    private DriverRegistryTestData() {
    }

    static byte[] random(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** @return a memory file named mem.img of random bytes, which no magic-bytes driver claims */
    static MemoryBlockFile randomFile(int length) throws IOException {
        return MemoryBlockFile.of("mem.img", random(length, 5));
    }
}
