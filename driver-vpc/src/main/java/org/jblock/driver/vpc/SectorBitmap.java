package org.jblock.driver.vpc;

import java.io.IOException;

/**
 * Operations on a block's sector bitmap: one bit a sector, most significant bit first (sector 0 is
 * 0x80 of byte 0), as every implementation reads it. A set bit means the sector holds data.
 *
 * <p>Runs are found a byte at a time where whole bytes agree, so scanning a 4096-sector block costs
 * at most a few hundred steps and no I/O.
 */
final class SectorBitmap {
    /** Receives the runs of a byte range in which every sector's bit is the same. */
    @FunctionalInterface
    interface RunConsumer {
        /** @param from first byte in the block, @param to end byte, @param set whether the run holds data */
        void accept(int from, int to, boolean set) throws IOException;
    }

    private SectorBitmap() {
    }

    /**
     * Splits the bytes {@code [from, to)} of a block into runs of sectors whose bits agree, in order;
     * the first and last run may start or end inside a sector.
     */
    static void forEachRun(byte[] bits, int from, int to, RunConsumer consumer) throws IOException {
        int endSector = (int) ((to + (long) VhdLayout.SECTOR - 1) >>> VhdLayout.SECTOR_SHIFT);
        for (int pos = from; pos < to; ) {
            int sector = pos >>> VhdLayout.SECTOR_SHIFT;
            boolean set = isSet(bits, sector);
            int runEnd = (int) Math.min(to, (long) runEnd(bits, sector, endSector, set) << VhdLayout.SECTOR_SHIFT);
            consumer.accept(pos, runEnd, set);
            pos = runEnd;
        }
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
