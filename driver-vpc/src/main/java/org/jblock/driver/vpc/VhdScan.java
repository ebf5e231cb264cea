package org.jblock.driver.vpc;

import java.util.BitSet;
import java.util.List;

import org.jblock.api.CheckReport.Severity;

/**
 * An image's metadata as {@link VhdScanner} read it, once, with everything found wrong: the one
 * model that open, check, repair and salvage work from.
 *
 * <p>Fields that the scan could not establish are null or -1; how far it got is told by
 * {@link #footer} (a footer with the VHD cookie was found), {@link #header} (the dynamic header is
 * usable: cookie, block size, table size and place are sound) and {@link #bat} (the table was read).
 * The parent fields of a differencing image (parent unique id, time stamp, name and the eight
 * locators) are those of {@link #header}.
 */
final class VhdScan {
    /** The file's length when it was scanned. */
    long fileSize;
    /** How the virtual size was computed. */
    VhdScanner.SizeMode sizeMode;
    /** The findings, in the order found. */
    final List<VhdFinding> findings;

    // ---- footers ----
    /** The footer in use (checksum as stored), or null when the file has none. */
    VhdFooter footer;
    /** Where {@link #footer} was read, for the offsets of its fields. */
    long footerReadAt = -1;
    /** Where the footer slot at the end of the file is (the last 512 bytes, or 511), or -1. */
    long trailingAt = -1;
    /** The slot at the end decoded whatever it holds, or null. */
    VhdFooter trailing;
    /** Sector 0 decoded whatever it holds (a dynamic image's footer copy), or null. */
    VhdFooter copy;
    /** How the footer in use was chosen, for info. */
    String footerSource;
    /** The virtual size, or -1 when unknown. */
    long virtualSize = -1;
    String sizeSource;

    // ---- dynamic images ----
    /** The dynamic header when its cookie, block size, table size and table place are sound, else null. */
    DynamicHeader header;
    long headerAt = -1;
    /** The table as stored (every entry, bad ones included), or null. */
    BlockAllocationTable bat;
    long tableAt = -1;
    /** The end of the table on disk (padded to a sector). */
    long tableEnd = -1;
    /** The end of the footer copy, the header and the table, whichever is last. */
    long metadataEnd = -1;
    int blockSize;
    int bitmapSize;
    /** A block's bytes in the file: bitmap and data. */
    long span;
    /** Entries proven wrong: outside the file, into the metadata, off the blocks' grid over another block. */
    final BitSet badEntries = new BitSet();
    /**
     * Of the {@link #badEntries}, those past the end of the file on the blocks' grid, within reach of a
     * cut: blocks a truncation took away, not signs of a damaged table.
     */
    final BitSet cutAway = new BitSet();
    /** Entries whose blocks overlap with no evidence which one is wrong. */
    final BitSet conflicts = new BitSet();
    /** Entries whose blocks the end of the file cuts short. */
    final BitSet truncated = new BitSet();
    /** The end of the last block not proven wrong, or 0. */
    long dataEnd;
    /** Where the next block goes: after the metadata, the blocks and the footer at the end. */
    long appendAt = -1;

    VhdScan(List<VhdFinding> findings) {
        this.findings = findings;
    }

    /** @return whether the footer in use is the one in the slot at the end of the file */
    boolean footerAtEnd() {
        return footer != null && footerReadAt == trailingAt && trailingAt >= 0;
    }

    /** @return whether the slot at the end holds something with the footer's cookie */
    boolean trailingHasCookie() {
        return trailing != null && trailing.hasValidCookie();
    }

    boolean isDynamic() {
        return header != null;
    }

    /** @return the first finding that makes open refuse the image, or null */
    VhdFinding refusal() {
        for (VhdFinding f : findings) {
            if (f.blocksOpen()) {
                return f;
            }
        }
        return null;
    }

    long count(Severity severity) {
        return findings.stream().filter(f -> f.severity() == severity).count();
    }

    /** @return the file offset of entry {@code index}'s block (its bitmap); the entry must be allocated */
    long blockStart(int index) {
        return bat.blockOffset(index);
    }

    /** @return whether entry {@code index} points at a block a reader may use as it is */
    boolean isKept(int index) {
        return bat.isAllocated(index) && !badEntries.get(index);
    }

    /** @return the number of blocks the virtual size needs */
    long blocksNeeded() {
        return VhdLayout.ceilDiv(virtualSize, blockSize);
    }
}
