package org.jblock.driver.vpc;

/** Sizes and limits of the VHD format, shared by open, create and the images. */
final class VhdLayout {
    /** A VHD sector: the unit of BAT entries, bitmaps and geometry. */
    static final int SECTOR = 512;
    static final int SECTOR_SHIFT = 9;
    /** Where a created dynamic image puts its header: right after the footer copy. */
    static final long HEADER_OFFSET = 512;
    /** Where a created dynamic image puts its BAT: right after the header. */
    static final long BAT_OFFSET = HEADER_OFFSET + DynamicHeader.SIZE;
    /** The largest virtual size: 0xff000000 sectors = 2040 GiB (QEMU's VHD_MAX_SECTORS, the spec's limit). */
    static final long MAX_VIRTUAL_SIZE = 0xFF000000L * SECTOR;
    /** The largest sector number a BAT entry can hold (0xFFFFFFFF means "unallocated"). */
    static final long MAX_BAT_SECTOR = 0xFFFFFFFEL;
    /** The smallest block size accepted at open (one sector) and at create. */
    static final int MIN_BLOCK_SIZE = SECTOR;
    static final int MIN_CREATE_BLOCK_SIZE = 512 * 1024;
    /** The largest block size accepted at open: beyond it the image is hostile, not merely unusual. */
    static final int MAX_BLOCK_SIZE = 1 << 30;
    static final int MAX_CREATE_BLOCK_SIZE = 256 * 1024 * 1024;
    static final int DEFAULT_BLOCK_SIZE = 2 * 1024 * 1024;
    /**
     * QEMU's bound on max table entries ({@code INT_MAX/4} on 64-bit hosts): a header with more is
     * corrupt ("Max Table Entries too large"), as QEMU says.
     */
    static final long QEMU_MAX_TABLE_ENTRIES = Integer.MAX_VALUE / 4;
    /**
     * The most BAT entries jblock reads (64 MiB of memory): 2040 GiB, the largest VHD, in 128 KiB
     * blocks. A valid table with more is refused as unsupported, saying so; it is never a share of the
     * heap that decides.
     */
    static final long MAX_TABLE_ENTRIES = 1 << 24;

    private VhdLayout() {
    }

    static long roundUp(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }

    static long ceilDiv(long value, long unit) {
        return (value + unit - 1) / unit;
    }

    /** @return the BAT's size on disk: 4 bytes an entry, padded to a sector */
    static long batBytesOnDisk(long entries) {
        return roundUp(entries * 4, SECTOR);
    }
}
