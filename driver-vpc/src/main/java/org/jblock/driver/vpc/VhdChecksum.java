package org.jblock.driver.vpc;

import java.nio.ByteBuffer;

/**
 * The checksum of the VHD footer and dynamic header: the ones' complement of the 32-bit sum of
 * every byte of the structure, with the checksum field itself counted as zero.
 */
final class VhdChecksum {
    private VhdChecksum() {
    }

    /**
     * @param structure      the encoded structure, from its position to its limit
     * @param checksumOffset where the 4-byte checksum field sits, relative to the position
     */
    static int compute(ByteBuffer structure, int checksumOffset) {
        int start = structure.position();
        int end = structure.limit();
        int sum = 0;
        for (int i = start; i < end; i++) {
            int relative = i - start;
            if (relative >= checksumOffset && relative < checksumOffset + 4) {
                continue;
            }
            sum += structure.get(i) & 0xFF;
        }
        return ~sum;
    }
}
