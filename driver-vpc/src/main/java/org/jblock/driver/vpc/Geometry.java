package org.jblock.driver.vpc;

/**
 * The footer's CHS disk geometry (cylinders u16, heads u8, sectors per track u8), and the
 * specification's algorithm that derives it from a sector count.
 *
 * <p>The algorithm rounds down: {@link #totalSectors()} of the geometry computed for {@code n}
 * sectors is at most {@code n}. Its largest result, {@link #MAX} (65535/16/255, 127 GiB), is also
 * the marker every modern reader takes to mean "use the footer's current size instead".
 */
record Geometry(int cylinders, int heads, int sectorsPerTrack) {
    /** 65535/16/255: the largest geometry, and the marker for "size from current size". */
    static final Geometry MAX = new Geometry(65535, 16, 255);
    /** Sectors of {@link #MAX}: 267,382,800 (136,899,993,600 bytes). */
    static final long MAX_SECTORS = MAX.totalSectors();

    /** @return the geometry packed as it is stored at footer offset 56 */
    int encode() {
        return (cylinders << 16) | (heads << 8) | sectorsPerTrack;
    }

    static Geometry decode(int packed) {
        return new Geometry(packed >>> 16, (packed >>> 8) & 0xFF, packed & 0xFF);
    }

    /** @return C·H·S, the capacity in sectors an ATA BIOS sees */
    long totalSectors() {
        return (long) cylinders * heads * sectorsPerTrack;
    }

    boolean isMax() {
        // Field by field, not equals(MAX): a record's equals is bound on its first call (method
        // handles made at run time), which every open of an image would pay for this one test.
        return cylinders == MAX.cylinders && heads == MAX.heads && sectorsPerTrack == MAX.sectorsPerTrack;
    }

    /** The specification's appendix algorithm ("CHS calculation"), clamped to {@link #MAX}. */
    static Geometry forSectors(long totalSectors) {
        long total = Math.min(Math.max(totalSectors, 0), MAX_SECTORS);
        int sectorsPerTrack;
        int heads;
        long cylindersTimesHeads;
        if (total >= 65535L * 16 * 63) {
            sectorsPerTrack = 255;
            heads = 16;
            cylindersTimesHeads = total / sectorsPerTrack;
        } else {
            sectorsPerTrack = 17;
            cylindersTimesHeads = total / sectorsPerTrack;
            heads = (int) Math.max(4, (cylindersTimesHeads + 1023) / 1024);
            if (cylindersTimesHeads >= heads * 1024L || heads > 16) {
                sectorsPerTrack = 31;
                heads = 16;
                cylindersTimesHeads = total / sectorsPerTrack;
            }
            if (cylindersTimesHeads >= heads * 1024L) {
                sectorsPerTrack = 63;
                heads = 16;
                cylindersTimesHeads = total / sectorsPerTrack;
            }
        }
        return new Geometry((int) (cylindersTimesHeads / heads), heads, sectorsPerTrack);
    }

    /**
     * The smallest geometry whose capacity is at least {@code totalSectors} (qemu-img's rounding up
     * of a requested size), or {@link #MAX} when the size is beyond what CHS can describe.
     */
    static Geometry roundingUp(long totalSectors) {
        if (totalSectors >= MAX_SECTORS) {
            return MAX;
        }
        // The capacity of forSectors(n) trails n by less than one cylinder (≤ 16·255 sectors), so
        // this loop ends after a few thousand steps at most.
        for (long n = totalSectors; ; n++) {
            Geometry g = forSectors(n);
            if (g.totalSectors() >= totalSectors) {
                return g;
            }
        }
    }

    @Override
    public String toString() {
        return cylinders + "/" + heads + "/" + sectorsPerTrack;
    }
}
