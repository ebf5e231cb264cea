package org.jblock.driver.vpc;

/**
 * Operations on a block's sector bitmap: one bit a sector, most significant bit first (sector 0 is
 * 0x80 of byte 0), as every implementation reads it. A set bit means the sector holds data.
 *
 * <p>Runs are found a byte at a time where whole bytes agree, so scanning a 4096-sector block costs
 * at most a few hundred steps and no I/O.
 */
final class SectorBitmap {
    private SectorBitmap() {
    }

    static boolean isSet(byte[] bits, int sector) {
        return (bits[sector >>> 3] & (0x80 >>> (sector & 7))) != 0;
    }

    /** Sets the bits of sectors {@code [from, to)}. */
    static void set(byte[] bits, int from, int to) {
        for (int s = from; s < to; ) {
            if ((s & 7) == 0 && to - s >= 8) {
                bits[s >>> 3] = (byte) 0xFF;
                s += 8;
            } else {
                bits[s >>> 3] |= (byte) (0x80 >>> (s & 7));
                s++;
            }
        }
    }

    /** @return whether every sector of {@code [from, to)} is set */
    static boolean allSet(byte[] bits, int from, int to) {
        return runEnd(bits, from, to, true) >= to;
    }

    /**
     * @return the first sector in {@code (from, to]} whose bit differs from {@code value}, or
     *         {@code to} when the run lasts to the end
     */
    static int runEnd(byte[] bits, int from, int to, boolean value) {
        byte whole = value ? (byte) 0xFF : 0;
        int s = from;
        while (s < to) {
            if ((s & 7) == 0 && to - s >= 8 && bits[s >>> 3] == whole) {
                s += 8;
            } else if (isSet(bits, s) == value) {
                s++;
            } else {
                return s;
            }
        }
        return to;
    }
}
