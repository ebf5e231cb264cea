package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckReport.Severity;
import org.jblock.driver.vpc.VhdFinding.Effect;
import org.jblock.driver.vpc.VhdFinding.Repair;

/**
 * Reads an image's metadata once — the footer at the end and its copy at offset 0, the dynamic
 * header, the BAT — and judges it by one set of rules, into a {@link VhdScan}: the metadata and
 * every finding. Open refuses on the findings that make I/O unsafe, check reports them all, repair
 * plans from them, salvage reads around them. Nothing else parses VHD metadata.
 *
 * <h2>Which footer</h2>
 * The footer at the end (or a 511-byte one, Virtual PC before 2004) is the primary; the copy at
 * offset 0 stands in when it is missing or damaged (the specification's rule). When both are valid
 * and differ, the one consistent with the dynamic header and the table (disk type, header at its
 * data offset, a table large enough for its size) wins, and the footer at the end wins a tie. A valid
 * fixed footer at the end whose size fits in the file makes sector 0 disk data, never a copy, unless
 * sector 0 is a sound dynamic image's copy (QEMU reads that one).
 *
 * <h2>Which BAT entries</h2>
 * Every field is checked before anything is sized or indexed from it. An entry is proven wrong when
 * its block starts outside the file (or at the footer), overlaps the footer copy, the header or the
 * table, or overlaps another block while lying off the grid the other blocks share (blocks are
 * laid out one span apart from the end of the metadata; an entry shifted by a sector is off it).
 * When two blocks overlap and neither is off the grid, nothing tells which entry is wrong: both are
 * reported as conflicting and kept. Field checks come before the header's checksum, so that a
 * damaged field is named with QEMU's wording ({@code Invalid block size 0}).
 */
final class VhdScanner {
    static final String FOOTER = "VHD footer";
    static final String FOOTER_COPY = "VHD footer copy";
    static final String HEADER = "VHD dynamic header";
    static final String BAT = "VHD block allocation table";

    /** How to compute the virtual size (open option {@code force_size_calc}). */
    enum SizeMode {
        /** CHS for Virtual PC and QEMU images, current size for the rest. */
        AUTO,
        /** CHS geometry (except the maximum geometry, which always means current size). */
        CHS,
        /** The footer's current size. */
        CURRENT_SIZE
    }

    /** A timestamp this far in the future is suspicious (vhd-util's margin). */
    private static final long FUTURE_MARGIN_SECONDS = 1800;
    /** Bad BAT entries reported one by one; the rest are counted in one finding. */
    private static final int MAX_LISTED_ENTRIES = 1000;
    private static final int OFFSET_FEATURES = 8;
    private static final int OFFSET_VERSION = 12;
    private static final int OFFSET_TIMESTAMP = 24;
    private static final int OFFSET_GEOMETRY = 56;
    private static final int OFFSET_UNIQUE_ID = 68;
    private static final int OFFSET_SAVED_STATE = 84;
    private static final int OFFSET_RESERVED = 85;
    private static final int HEADER_OFFSET_DATA_OFFSET = 8;
    private static final int HEADER_OFFSET_VERSION = 24;
    private static final int HEADER_OFFSET_PARENT = 40;

    private final BlockFile file;
    private final SizeMode mode;
    private final List<VhdFinding> findings = new ArrayList<>();
    private final VhdScan scan = new VhdScan(findings);
    private int unlistedEntries;
    private long firstUnlistedAt = -1;

    private VhdScanner(BlockFile file, SizeMode mode) {
        this.file = file;
        this.mode = mode;
        scan.sizeMode = mode;
    }

    /** Scans the image in {@code file}, sizing it by {@code mode}. Never fails on content. */
    static VhdScan scan(BlockFile file, SizeMode mode) throws IOException {
        VhdScanner scanner = new VhdScanner(file, mode);
        scanner.run();
        return scanner.scan;
    }

    private void run() throws IOException {
        long fileSize = file.size();
        scan.fileSize = fileSize;
        if (fileSize < VhdFooter.SHORT_SIZE) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, FOOTER, null, 0, "File too small for a VHD header",
                    "at least 511 bytes", fileSize + " bytes"));
            return;
        }
        if (!chooseFooter()) {
            return;
        }
        VhdFooter footer = scan.footer;
        checkFooterFields(footer, scan.footerReadAt);
        virtualSize(footer);
        int type = footer.diskType();
        if (type == VhdFooter.TYPE_FIXED) {
            checkFixed();
            return;
        }
        if (type != VhdFooter.TYPE_DYNAMIC && type != VhdFooter.TYPE_DIFFERENCING) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, FOOTER, "disk_type",
                    scan.footerReadAt + VhdFooter.OFFSET_DISK_TYPE, "Unknown disk type " + Integer.toUnsignedString(type),
                    "2 (fixed), 3 (dynamic) or 4 (differencing)", Integer.toUnsignedString(type)));
        }
        scanDynamic();
    }

    private void add(VhdFinding finding) {
        findings.add(finding);
    }

    // ---- footers --------------------------------------------------------------------------------

    /** @return whether a footer to go on with was found */
    private boolean chooseFooter() throws IOException {
        long fileSize = scan.fileSize;
        long slot = fileSize >= VhdFooter.SIZE ? fileSize - VhdFooter.SIZE : -1;
        VhdFooter trailing = slot >= 0 ? readFooter(slot, VhdFooter.SIZE) : null;
        if ((trailing == null || !trailing.hasValidCookie()) && fileSize % VhdFooter.SIZE == VhdFooter.SHORT_SIZE) {
            slot = fileSize - VhdFooter.SHORT_SIZE;
            trailing = readFooter(slot, VhdFooter.SHORT_SIZE);
        }
        long partial = fileSize % VhdFooter.SIZE;
        if (!trailing.hasValidCookie() && partial != 0 && partial != VhdFooter.SHORT_SIZE) {
            // A footer cut short by a truncation, as QEMU reads it: the rest as zeros.
            VhdFooter cut = readFooter(fileSize - partial, (int) partial);
            if (cut.hasValidCookie()) {
                slot = fileSize - partial;
                trailing = cut;
                add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER, FOOTER, null, slot, "The footer at " + slot
                        + " is cut short by the end of the file (" + partial + " of 512 bytes); the rest reads as"
                        + " zeros", "512 bytes", partial + " bytes"));
            }
        }
        VhdFooter copy = fileSize >= VhdFooter.SIZE && slot != 0 ? readFooter(0, VhdFooter.SIZE) : null;
        scan.trailingAt = slot;
        scan.trailing = trailing;
        boolean trailingOk = trailing.hasValidCookie() && trailing.hasValidChecksum();
        boolean copyCookie = copy != null && copy.hasValidCookie() && copy.diskType() != VhdFooter.TYPE_FIXED;
        boolean copyOk = copyCookie && copy.hasValidChecksum();
        if (trailingOk && trailing.diskType() == VhdFooter.TYPE_FIXED && fitsFixed(trailing, slot)
                && !(copyOk && consistentDynamic(copy))) {
            // A fixed image: sector 0 is disk data, never a footer copy (unless it is a sound
            // dynamic image's copy, which is what QEMU reads too).
            use(trailing, slot, "footer at end of file");
            return true;
        }
        scan.copy = copy;
        if (trailingOk && copyOk && !copy.equals(trailing) && !consistentDynamic(trailing)
                && consistentDynamic(copy)) {
            use(copy, 0, "copy at offset 0 (the footer at the end does not match the dynamic header)");
            add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER, FOOTER, null, slot, "The footer at offset " + slot
                    + " differs from the copy at offset 0 and does not match the dynamic header and table ("
                    + difference(trailing, copy) + "); the copy is in use", null, null));
            return true;
        }
        if (trailingOk) {
            use(trailing, slot, "footer at end of file");
            checkCopy(copy, trailing, slot);
            return true;
        }
        if (copyOk) {
            use(copy, 0, "copy at offset 0 (the footer at the end is unusable)");
            if (!trailing.hasValidCookie()) {
                add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER, FOOTER, "cookie", slot, "The footer at the end"
                        + " of the file is missing (no 'conectix' cookie); the copy at offset 0 is in use", "conectix",
                        null));
            } else {
                add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER, FOOTER, "checksum",
                        slot + VhdFooter.OFFSET_CHECKSUM, "Incorrect footer checksum: " + hex(trailing.checksum())
                        + " vs expected " + hex(trailing.computeChecksum()) + "; the copy at offset 0 is in use",
                        hex(trailing.computeChecksum()), hex(trailing.checksum())));
            }
            return true;
        }
        VhdFooter damaged = trailing.hasValidCookie() ? trailing : copyCookie ? copy : null;
        if (damaged == null) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, FOOTER, "cookie", slot, "invalid VPC image: no VHD"
                    + " footer (cookie 'conectix') at the end of the file or at offset 0", "conectix", "none"));
            return false;
        }
        long at = damaged == trailing ? slot : 0;
        use(damaged, at, damaged == trailing ? "footer at end of file, with a bad checksum"
                : "copy at offset 0, with a bad checksum");
        add(VhdFinding.corruption(Effect.REFUSE, damaged == trailing ? Repair.FOOTER : Repair.FOOTER_COPY, FOOTER,
                "checksum", at + VhdFooter.OFFSET_CHECKSUM, "Incorrect header checksum (the footer's checksum is "
                + hex(damaged.checksum()) + ", its content calls for " + hex(damaged.computeChecksum()) + ")",
                hex(damaged.computeChecksum()), hex(damaged.checksum())));
        if (damaged == trailing) {
            checkCopy(copy, trailing, slot);
        }
        return true;
    }

    private void use(VhdFooter footer, long at, String source) {
        scan.footer = footer;
        scan.footerReadAt = at;
        scan.footerSource = source;
        if (footer.diskType() == VhdFooter.TYPE_FIXED) {
            scan.copy = null;
        }
    }

    /** Findings about the copy at offset 0 of an image whose footer at the end is in use. */
    private void checkCopy(VhdFooter copy, VhdFooter trailing, long slot) {
        if (copy == null || trailing.diskType() == VhdFooter.TYPE_FIXED) {
            return;
        }
        if (!copy.hasValidCookie()) {
            add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER_COPY, FOOTER_COPY, "cookie", 0,
                    "The footer copy at offset 0 is missing (no 'conectix' cookie)", "conectix", null));
        } else if (!copy.hasValidChecksum()) {
            add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER_COPY, FOOTER_COPY, "checksum",
                    VhdFooter.OFFSET_CHECKSUM, "Incorrect checksum of the footer copy at offset 0: "
                    + hex(copy.checksum()) + " vs expected " + hex(copy.computeChecksum()),
                    hex(copy.computeChecksum()), hex(copy.checksum())));
        } else if (!copy.equals(trailing)) {
            add(VhdFinding.corruption(Effect.NONE, Repair.FOOTER_COPY, FOOTER_COPY, null, 0,
                    "The footer copy at offset 0 differs from the footer at offset " + slot + " ("
                    + difference(copy, trailing) + ")", null, null));
        }
    }

    private static String difference(VhdFooter a, VhdFooter b) {
        return "first at byte " + Arrays.mismatch(a.toBytes(), b.toBytes());
    }

    /** @return whether a fixed footer at {@code slot} describes a disk the file holds */
    private boolean fitsFixed(VhdFooter footer, long slot) {
        long size = sizeOf(footer);
        return size >= 0 && size <= slot;
    }

    /**
     * @return whether a dynamic footer agrees with the header at its data offset: its disk type, a
     *         readable header there, a valid block size and a table inside the file large enough
     *         for its size, whichever way a reader computes it; a differencing type wants a parent
     */
    private boolean consistentDynamic(VhdFooter footer) throws IOException {
        int type = footer.diskType();
        // Every reader's size must fit the table: by geometry (Virtual PC, QEMU 7.2 for most creators)
        // and by current size (Hyper-V, QEMU 10); the maximum geometry means the current size to all.
        long current = footer.currentSize();
        long chs = footer.geometry().isMax() ? 0 : footer.geometry().totalSectors() * VhdLayout.SECTOR;
        long size = current < 0 || current > VhdLayout.MAX_VIRTUAL_SIZE ? -1 : Math.max(current, chs);
        long at = footer.dataOffset();
        if ((type != VhdFooter.TYPE_DYNAMIC && type != VhdFooter.TYPE_DIFFERENCING) || size < 0
                || at < VhdFooter.SIZE || at > scan.fileSize - DynamicHeader.SIZE) {
            return false;
        }
        DynamicHeader header = readHeader(at, DynamicHeader.SIZE);
        long blockSize = header.blockSizeUnsigned();
        long entries = header.maxTableEntriesUnsigned();
        boolean parent = header.parentUniqueId().getMostSignificantBits() != 0
                || header.parentUniqueId().getLeastSignificantBits() != 0;
        if (type == VhdFooter.TYPE_DIFFERENCING && !parent) {
            return false;
        }
        return header.cookie() == DynamicHeader.COOKIE && validBlockSize(blockSize)
                && entries <= VhdLayout.QEMU_MAX_TABLE_ENTRIES && entries >= VhdLayout.ceilDiv(size, blockSize)
                && header.tableOffset() >= 0 && header.tableOffset() <= scan.fileSize - entries * 4;
    }

    /** Field checks of the footer in use (vhd-util's list), reported against where it lies. */
    private void checkFooterFields(VhdFooter footer, long at) {
        if ((footer.features() & VhdFooter.FEATURE_RESERVED) == 0) {
            add(VhdFinding.warning(FOOTER, "features", at + OFFSET_FEATURES, "The footer's reserved feature bit 0x2"
                    + " is clear (the specification wants it set)"));
        }
        if ((footer.features() & ~0x3) != 0) {
            add(VhdFinding.warning(FOOTER, "features", at + OFFSET_FEATURES, "The footer has unknown feature bits "
                    + hex(footer.features() & ~0x3)));
        }
        if (footer.formatVersion() != VhdFooter.VERSION_1_0) {
            add(VhdFinding.warning(FOOTER, "version", at + OFFSET_VERSION, "The footer's format version is "
                    + hex(footer.formatVersion()) + ", not 1.0 (0x10000); read as 1.0"));
        }
        if (footer.diskType() == VhdFooter.TYPE_FIXED && footer.dataOffset() != VhdFooter.NO_DATA_OFFSET) {
            add(VhdFinding.warning(FOOTER, "data_offset", at + VhdFooter.OFFSET_DATA_OFFSET, "A fixed image's data"
                    + " offset should be all ones, not " + Long.toUnsignedString(footer.dataOffset())));
        }
        Instant created = footer.creationTime();
        if (created.isAfter(Instant.now().plusSeconds(FUTURE_MARGIN_SECONDS))) {
            add(VhdFinding.warning(FOOTER, "timestamp", at + OFFSET_TIMESTAMP, "The creation time " + created
                    + " is in the future"));
        }
        if (footer.savedState() != 0) {
            add(VhdFinding.warning(FOOTER, "saved_state", at + OFFSET_SAVED_STATE, footer.savedState() == 1
                    ? "The image is in a saved state (Virtual PC): it should not be changed"
                    : "Invalid saved-state byte " + (footer.savedState() & 0xFF)));
        }
        byte[] reserved = footer.reserved();
        // blktap keeps a 0/1 "hidden" flag in the first reserved byte.
        if ((reserved[0] & 0xFF) > 1 || !isZero(reserved, 1, reserved.length)) {
            add(VhdFinding.warning(FOOTER, "reserved", at + OFFSET_RESERVED, "The footer's reserved bytes are not"
                    + " zero"));
        }
        if (footer.uniqueId().getMostSignificantBits() == 0 && footer.uniqueId().getLeastSignificantBits() == 0) {
            add(VhdFinding.warning(FOOTER, "unique_id", at + OFFSET_UNIQUE_ID, "The footer's unique id is all"
                    + " zeros"));
        }
        Geometry geometry = footer.geometry();
        if (!geometry.isMax() && geometry.totalSectors() * VhdLayout.SECTOR > footer.currentSize()) {
            add(VhdFinding.warning(FOOTER, "geometry", at + OFFSET_GEOMETRY, "The geometry " + geometry
                    + " describes " + geometry.totalSectors() * VhdLayout.SECTOR + " bytes, more than the current"
                    + " size " + footer.currentSize()));
        }
    }

    // ---- virtual size ---------------------------------------------------------------------------

    /** @return the virtual size {@code footer} gives by {@link #mode}, or -1 beyond the VHD limit */
    private long sizeOf(VhdFooter footer) {
        if (useChs(footer)) {
            return footer.geometry().totalSectors() * VhdLayout.SECTOR;
        }
        long current = footer.currentSize();
        return current < 0 || current > VhdLayout.MAX_VIRTUAL_SIZE ? -1
                : current / VhdLayout.SECTOR * VhdLayout.SECTOR;
    }

    private boolean useChs(VhdFooter footer) {
        return !footer.geometry().isMax() && mode != SizeMode.CURRENT_SIZE
                && (mode == SizeMode.CHS || footer.sizedByGeometry());
    }

    /** The size by {@link VhdFooter#sizedByGeometry()}, unless {@code force_size_calc} says otherwise. */
    private void virtualSize(VhdFooter footer) {
        String creator = "creator '" + footer.creatorAppText() + "'";
        long size = sizeOf(footer);
        if (useChs(footer)) {
            scan.sizeSource = "chs (" + (mode == SizeMode.CHS ? "forced" : creator) + ")";
        } else {
            scan.sizeSource = "current-size (" + (mode == SizeMode.CURRENT_SIZE ? "forced"
                    : footer.geometry().isMax() ? "maximum geometry" : creator) + ")";
        }
        if (size < 0) {
            add(VhdFinding.corruption(Effect.UNSUPPORTED, Repair.NONE, FOOTER, "current_size",
                    scan.footerReadAt + VhdFooter.OFFSET_CURRENT_SIZE, "File too large: the virtual size "
                    + Long.toUnsignedString(footer.currentSize()) + " bytes is beyond the VHD limit of 2040 GiB ("
                    + VhdLayout.MAX_VIRTUAL_SIZE + " bytes)", "at most " + VhdLayout.MAX_VIRTUAL_SIZE,
                    Long.toUnsignedString(footer.currentSize())));
            size = VhdLayout.MAX_VIRTUAL_SIZE;
        }
        scan.virtualSize = size;
    }

    // ---- fixed ----------------------------------------------------------------------------------

    private void checkFixed() {
        long dataBytes = scan.footerReadAt;
        if (scan.virtualSize > dataBytes) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, FOOTER, "current_size",
                    scan.footerReadAt + VhdFooter.OFFSET_CURRENT_SIZE, "File too short for the virtual size of a"
                    + " fixed image; the image has been truncated", "at least " + scan.virtualSize + " data bytes",
                    dataBytes + " data bytes"));
        }
    }

    // ---- dynamic --------------------------------------------------------------------------------

    private DynamicHeader readHeader(long at, int available) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(DynamicHeader.SIZE);
        file.readFully(bytes.limit(available), at);
        return DynamicHeader.decode(bytes.clear());
    }

    private static boolean validBlockSize(long blockSize) {
        return Long.bitCount(blockSize) == 1 && blockSize >= VhdLayout.MIN_BLOCK_SIZE
                && blockSize <= VhdLayout.MAX_BLOCK_SIZE;
    }

    private void scanDynamic() throws IOException {
        long fileSize = scan.fileSize;
        VhdFooter footer = scan.footer;
        long headerAt = footer.dataOffset();
        if (headerAt < VhdFooter.SIZE || headerAt > fileSize - DynamicHeader.OFFSET_CHECKSUM) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, FOOTER, "data_offset",
                    scan.footerReadAt + VhdFooter.OFFSET_DATA_OFFSET, "Error reading dynamic VHD header: the data"
                    + " offset " + Long.toUnsignedString(headerAt) + " points outside the file",
                    "512 to " + (fileSize - DynamicHeader.SIZE), Long.toUnsignedString(headerAt)));
            return;
        }
        // A header cut short by the end of the file is read as far as it goes (the rest as zeros,
        // as QEMU sees it), so that a damaged field in it is named before the truncation is.
        DynamicHeader header = readHeader(headerAt, (int) Math.min(DynamicHeader.SIZE, fileSize - headerAt));
        scan.headerAt = headerAt;
        if (header.cookie() != DynamicHeader.COOKIE) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "cookie", headerAt, "Invalid header magic"
                    + ": no 'cxsparse' dynamic header at the footer's data offset", "cxsparse", hex(header.cookie())));
            return;
        }
        long blockSize = header.blockSizeUnsigned();
        if (!validBlockSize(blockSize)) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "block_size",
                    headerAt + DynamicHeader.OFFSET_BLOCK_SIZE, "Invalid block size " + blockSize,
                    "a power of two from 512 to " + VhdLayout.MAX_BLOCK_SIZE, Long.toString(blockSize)));
            return;
        }
        long entries = header.maxTableEntriesUnsigned();
        long entriesAt = headerAt + DynamicHeader.OFFSET_MAX_TABLE_ENTRIES;
        if (entries > VhdLayout.QEMU_MAX_TABLE_ENTRIES) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "max_table_entries", entriesAt,
                    "Max Table Entries too large (" + entries + ")", "at most " + VhdLayout.QEMU_MAX_TABLE_ENTRIES,
                    Long.toString(entries)));
            return;
        }
        long needed = VhdLayout.ceilDiv(scan.virtualSize, blockSize);
        if (entries < needed) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "max_table_entries", entriesAt,
                    "Page table too small: " + entries + " entries for " + needed + " blocks",
                    "at least " + needed + " entries for " + scan.virtualSize + " bytes", Long.toString(entries)));
            return;
        }
        if (headerAt > fileSize - DynamicHeader.SIZE) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, null, headerAt, "The dynamic header is cut"
                    + " short by the end of the file; the image has been truncated", DynamicHeader.SIZE + " bytes",
                    (fileSize - headerAt) + " bytes"));
            return;
        }
        long tableAt = header.tableOffset();
        long tableBytes = entries * 4;
        long tableFieldAt = headerAt + DynamicHeader.OFFSET_TABLE_OFFSET;
        if (tableAt < 0 || tableAt > fileSize - tableBytes) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "table_offset", tableFieldAt,
                    "The block allocation table at " + Long.toUnsignedString(tableAt) + " lies outside the file",
                    "a table of " + tableBytes + " bytes within " + fileSize + " bytes",
                    Long.toUnsignedString(tableAt)));
            return;
        }
        long tableEnd = tableAt + VhdLayout.batBytesOnDisk(entries);
        if (overlaps(tableAt, tableAt + tableBytes, 0, VhdFooter.SIZE)
                || overlaps(tableAt, tableAt + tableBytes, headerAt, headerAt + DynamicHeader.SIZE)) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "table_offset", tableFieldAt,
                    "The block allocation table overlaps the footer copy or the dynamic header",
                    "a table clear of [0, 512) and [" + headerAt + ", " + (headerAt + DynamicHeader.SIZE) + ")",
                    Long.toString(tableAt)));
            return;
        }
        if (entries > VhdLayout.MAX_TABLE_ENTRIES) {
            add(VhdFinding.corruption(Effect.UNSUPPORTED, Repair.NONE, HEADER, "max_table_entries", entriesAt,
                    "The block allocation table has " + entries + " entries, more than jblock handles ("
                    + VhdLayout.MAX_TABLE_ENTRIES + ", enough for 2040 GiB in 128 KiB blocks)", "at most " + VhdLayout.MAX_TABLE_ENTRIES, Long.toString(entries)));
            return;
        }
        scan.header = header;
        scan.blockSize = (int) blockSize;
        scan.bitmapSize = DynamicHeader.bitmapSize((int) blockSize);
        scan.span = blockSize + scan.bitmapSize;
        scan.tableAt = tableAt;
        scan.tableEnd = tableEnd;
        scan.metadataEnd = Math.max(tableEnd, headerAt + DynamicHeader.SIZE);
        if (scan.footer != null && scan.footer.diskType() == VhdFooter.TYPE_DIFFERENCING) {
            // A differencing image's parent locators are metadata too: never a leak to reclaim.
            scan.metadataEnd = Math.max(scan.metadataEnd, VhdParent.locatorsEnd(header, scan.fileSize));
        }
        if (scan.trailingHasCookie() && scan.trailingAt < tableAt + tableBytes && scan.trailingAt + VhdFooter.SIZE > tableAt) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.NONE, HEADER, "table_offset", tableFieldAt,
                    "The block allocation table runs over the footer at " + scan.trailingAt,
                    "a table ending by " + scan.trailingAt, "a table ending at " + (tableAt + tableBytes)));
        }
        if (tableAt % VhdLayout.SECTOR != 0) {
            add(VhdFinding.warning(HEADER, "table_offset", tableFieldAt, "The block allocation table is not"
                    + " sector-aligned (at " + tableAt + ")"));
        }
        if (headerAt % VhdLayout.SECTOR != 0) {
            add(VhdFinding.warning(FOOTER, "data_offset", scan.footerReadAt + VhdFooter.OFFSET_DATA_OFFSET,
                    "The dynamic header is not sector-aligned (at " + headerAt + ")"));
        }
        checkHeaderWarnings(header, headerAt);
        if (!header.hasValidChecksum()) {
            add(VhdFinding.corruption(Effect.REFUSE, Repair.HEADER_CHECKSUM, HEADER, "checksum",
                    headerAt + DynamicHeader.OFFSET_CHECKSUM, "Incorrect dynamic header checksum: "
                    + hex(header.checksum()) + " vs expected " + hex(header.computeChecksum()),
                    hex(header.computeChecksum()), hex(header.checksum())));
        }
        scan.bat = BlockAllocationTable.read(file, tableAt, (int) entries);
        scanBlocks(needed);
    }

    private void checkHeaderWarnings(DynamicHeader header, long headerAt) {
        if (header.headerVersion() != DynamicHeader.VERSION_1_0) {
            add(VhdFinding.warning(HEADER, "version", headerAt + HEADER_OFFSET_VERSION, "The dynamic header's"
                    + " version is " + hex(header.headerVersion()) + ", not 1.0"));
        }
        if (header.dataOffset() != -1L) {
            add(VhdFinding.warning(HEADER, "data_offset", headerAt + HEADER_OFFSET_DATA_OFFSET, "The dynamic"
                    + " header's data offset should be all ones, not " + Long.toUnsignedString(header.dataOffset())));
        }
        boolean parentSet = header.parentUniqueId().getMostSignificantBits() != 0
                || header.parentUniqueId().getLeastSignificantBits() != 0 || header.parentTimestamp() != 0
                || !isZero(header.parentName(), 0, header.parentName().length)
                || header.parentLocators().stream().anyMatch(l -> l.platformCode() != 0);
        if (parentSet && scan.footer.diskType() != VhdFooter.TYPE_DIFFERENCING) {
            add(VhdFinding.warning(HEADER, "parent_uuid", headerAt + HEADER_OFFSET_PARENT, "A dynamic image has"
                    + " parent fields set (they belong to differencing images)"));
        }
        if (header.reserved1() != 0 || !isZero(header.reserved2(), 0, header.reserved2().length)) {
            add(VhdFinding.warning(HEADER, "reserved", headerAt, "The dynamic header's reserved bytes are not"
                    + " zero"));
        }
    }

    // ---- BAT ------------------------------------------------------------------------------------

    /**
     * Entries: in the file, clear of the metadata and of each other (sorted by position, then judged
     * by the grid); then the layout: gaps, the footer's place, leaks.
     */
    private void scanBlocks(long needed) {
        BlockAllocationTable bat = scan.bat;
        long span = scan.span;
        long fileSize = scan.fileSize;
        boolean footerAtEnd = scan.trailingHasCookie();
        long limit = footerAtEnd ? scan.trailingAt : fileSize;
        long[] keys = new long[bat.allocatedCount()];
        int k = 0;
        for (int i = 0; i < bat.size(); i++) {
            if (!bat.isAllocated(i)) {
                continue;
            }
            long start = bat.blockOffset(i);
            if (start >= limit) {
                bad(i, "BAT entry " + i + " points outside the file: a block at " + start + ", but the "
                        + (footerAtEnd ? "footer is at " : "file ends at ") + limit + " (QEMU: free_data_block_offset points after"
                        + " the end of file)", "a block before " + limit,
                        "a block at " + start);
            } else if (overlaps(start, start + span, 0, VhdFooter.SIZE)
                    || overlaps(start, start + span, scan.headerAt, scan.headerAt + DynamicHeader.SIZE)
                    || overlaps(start, start + span, scan.tableAt, scan.tableEnd)) {
                bad(i, "BAT entry " + i + " points into the image metadata (block " + i
                        + " overlaps the image metadata at " + start + ")", "a block after " + scan.metadataEnd,
                        "a block at " + start);
            } else {
                keys[k++] = Integer.toUnsignedLong(bat.get(i)) << 31 | i;
            }
        }
        keys = Arrays.copyOf(keys, k);
        Arrays.sort(keys);
        long grid = grid(keys);
        markCutAway(grid, limit);
        judgeOverlaps(keys, grid, true);
        judgeOverlaps(keys, grid, false);
        summarizeUnlisted();
        long dataEnd = 0;
        long end = -1;
        int previous = -1;
        for (long key : keys) {
            int i = (int) (key & Integer.MAX_VALUE);
            if (scan.badEntries.get(i)) {
                continue;
            }
            long start = bat.blockOffset(i);
            long blockEnd = start + span;
            if (footerAtEnd && start < scan.trailingAt && blockEnd > scan.trailingAt) {
                add(new VhdFinding(Severity.CORRUPTION, Effect.REFUSE, Repair.FOOTER, BAT, "entry " + i,
                        scan.trailingAt, "Block " + i + " (at " + start + ") runs over the footer at "
                        + scan.trailingAt + "; the footer belongs at " + VhdLayout.roundUp(blockEnd, VhdLayout.SECTOR),
                        "a block ending by " + scan.trailingAt, "a block ending at " + blockEnd, i));
            } else if (blockEnd > fileSize) {
                add(new VhdFinding(Severity.CORRUPTION, Effect.REFUSE, Repair.FOOTER, BAT, "entry " + i,
                        scan.tableAt + 4L * i, "free_data_block_offset points after the end of file. The image has"
                        + " been truncated. (block " + i + " ends at " + blockEnd + ", the file at " + fileSize + ")",
                        "a block ending by " + fileSize, "a block ending at " + blockEnd, i));
            }
            if (blockEnd > fileSize) {
                scan.truncated.set(i);
            }
            if (i >= needed) {
                add(new VhdFinding(Severity.WARNING, Effect.NONE, Repair.NONE, BAT, "entry " + i,
                        scan.tableAt + 4L * i, "Block " + i + " is allocated beyond the virtual size (" + needed
                        + " blocks); nothing reads it", null, null, i));
            }
            if (previous >= 0 && start > end) {
                add(VhdFinding.warning(BAT, null, end, (start - end) + " bytes at offset " + end + " between blocks are"
                        + " not used by any block (left as they are: reclaiming them would move a block)"));
            }
            previous = i;
            end = Math.max(end, blockEnd);
            dataEnd = Math.max(dataEnd, blockEnd);
        }
        scan.dataEnd = dataEnd;
        long home = footerHome();
        if (footerAtEnd && scan.trailingAt > home
                && (dataEnd > 0 || scan.trailingAt - home >= span)) {
            add(new VhdFinding(Severity.LEAK, Effect.NONE, Repair.TRIM_LEAK, FOOTER, null, home,
                    "space: " + (scan.trailingAt - home) + " bytes before the footer are not used by"
                    + " any block", null, null, -1));
        }
        if (fileSize % VhdLayout.SECTOR != 0 && fileSize % VhdLayout.SECTOR != VhdFooter.SHORT_SIZE) {
            add(VhdFinding.warning(FOOTER, null, scan.trailingAt, "The file size " + fileSize
                    + " is not a multiple of 512"));
        }
        long footerEnd = scan.footerAtEnd() ? scan.trailingAt : fileSize;
        scan.appendAt = VhdLayout.roundUp(Math.max(Math.max(scan.metadataEnd, dataEnd), footerEnd), VhdLayout.SECTOR);
    }

    /**
     * Entries past the end of the file that lie on the grid and no further than all the allocated
     * blocks could reach from it: what a truncation leaves, not garbage.
     */
    private void markCutAway(long grid, long limit) {
        long span = scan.span;
        long residue = grid >= 0 ? grid : VhdLayout.roundUp(scan.metadataEnd, VhdLayout.SECTOR) % span;
        long reach = limit + span * (long) scan.bat.allocatedCount();
        for (int i = scan.badEntries.nextSetBit(0); i >= 0; i = scan.badEntries.nextSetBit(i + 1)) {
            long start = scan.bat.blockOffset(i);
            if (start >= limit && start < reach && start % span == residue) {
                scan.cutAway.set(i);
            }
        }
    }

    /** @return where the footer belongs: after the metadata and the last block kept */
    private long footerHome() {
        return VhdLayout.roundUp(Math.max(scan.metadataEnd, scan.dataEnd), VhdLayout.SECTOR);
    }

    private void bad(int index, String message, String expected, String actual) {
        scan.badEntries.set(index);
        long entryAt = scan.tableAt + 4L * index;
        if (scan.badEntries.cardinality() <= MAX_LISTED_ENTRIES) {
            add(new VhdFinding(Severity.CORRUPTION, Effect.REFUSE, Repair.DROP_ENTRY, BAT, "entry " + index, entryAt,
                    message, expected, actual, index));
        } else {
            unlistedEntries++;
            if (firstUnlistedAt < 0) {
                firstUnlistedAt = entryAt;
            }
        }
    }

    /** One finding for the bad entries beyond those listed, so that a garbage BAT cannot flood the report. */
    private void summarizeUnlisted() {
        if (unlistedEntries > 0) {
            add(new VhdFinding(Severity.CORRUPTION, Effect.REFUSE, Repair.DROP_ENTRY, BAT, null, firstUnlistedAt,
                    unlistedEntries + " more BAT entries are bad in the same ways (not listed one by one)", null,
                    null, -1));
        }
    }

    /**
     * The offset (modulo a block's span) that the blocks share: the most common one, or, in a tie,
     * the one a layout that starts right after the metadata has; -1 when there is no telling.
     */
    private long grid(long[] keys) {
        long span = scan.span;
        long anchored = VhdLayout.roundUp(scan.metadataEnd, VhdLayout.SECTOR) % span;
        Map<Long, Integer> counts = new HashMap<>();
        for (long key : keys) {
            counts.merge((key >>> 31 << VhdLayout.SECTOR_SHIFT) % span, 1, Integer::sum);
        }
        int best = 0;
        long bestResidue = -1;
        boolean tie = false;
        for (Map.Entry<Long, Integer> e : counts.entrySet()) {
            if (e.getValue() > best) {
                best = e.getValue();
                bestResidue = e.getKey();
                tie = false;
            } else if (e.getValue() == best) {
                tie = true;
            }
        }
        if (!tie) {
            return bestResidue;
        }
        Integer anchoredCount = counts.get(anchored);
        return anchoredCount != null && anchoredCount == best ? anchored : -1;
    }

    /**
     * Finds overlapping blocks among the entries not yet judged bad. First pass ({@code prove}): an
     * entry off the grid that overlaps another block is proven wrong. Second pass: overlaps left
     * have no evidence either way, and both entries are reported as conflicting.
     */
    private void judgeOverlaps(long[] keys, long grid, boolean prove) {
        BlockAllocationTable bat = scan.bat;
        long span = scan.span;
        long maxEnd = -1;
        int holder = -1;
        for (long key : keys) {
            int i = (int) (key & Integer.MAX_VALUE);
            if (scan.badEntries.get(i)) {
                continue;
            }
            long start = bat.blockOffset(i);
            if (holder >= 0 && start < maxEnd) {
                int a = holder;
                if (prove) {
                    boolean iOff = grid >= 0 && start % span != grid;
                    boolean aOff = grid >= 0 && bat.blockOffset(a) % span != grid;
                    if (iOff != aOff) {
                        int wrong = iOff ? i : a;
                        int right = iOff ? a : i;
                        bad(wrong, "BAT entries " + Math.min(a, i) + " and " + Math.max(a, i) + " point at overlapping"
                                + " blocks (blocks " + Math.min(a, i) + " and " + Math.max(a, i) + " overlap, at "
                                + bat.blockOffset(Math.min(a, i)) + " and " + bat.blockOffset(Math.max(a, i))
                                + "); entry " + wrong + " is off the grid the other blocks lie on, so it is the one"
                                + " wrong and block " + right + " is kept", "a block on the grid",
                                "a block at " + bat.blockOffset(wrong));
                        if (wrong == a) {
                            holder = i;
                            maxEnd = start + span;
                        }
                        continue;
                    }
                } else if (!scan.conflicts.get(i)) {
                    scan.conflicts.set(i);
                    scan.conflicts.set(a);
                    add(new VhdFinding(Severity.CORRUPTION, Effect.REFUSE, Repair.NONE, BAT, "entry " + i,
                            scan.tableAt + 4L * i, "blocks " + Math.min(a, i) + " and " + Math.max(a, i) + " overlap (at "
                            + bat.blockOffset(a) + " and " + start + "), and nothing tells which entry is wrong",
                            "blocks at least " + span + " bytes apart", "blocks at " + bat.blockOffset(a) + " and "
                            + start, i));
                }
            }
            if (start + span > maxEnd) {
                maxEnd = start + span;
                holder = i;
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private VhdFooter readFooter(long at, int length) throws IOException {
        byte[] bytes = new byte[length];
        file.readFully(ByteBuffer.wrap(bytes), at);
        return VhdFooter.decode(bytes);
    }

    static boolean overlaps(long start, long end, long otherStart, long otherEnd) {
        return start < otherEnd && otherStart < end;
    }

    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    static String hex(int value) {
        return "0x" + Integer.toHexString(value);
    }
}
