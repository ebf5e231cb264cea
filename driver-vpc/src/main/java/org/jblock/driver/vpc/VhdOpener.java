package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * Reads and validates an image's metadata, then hands it to {@link FixedVhdImage} or
 * {@link DynamicVhdImage}.
 *
 * <p>Every field is checked before anything is sized or indexed from it: the block size before the
 * bitmap size, the table entry count (against QEMU's bound and against the file's length) before the
 * BAT is allocated, every BAT entry before a block is read. Field checks come before the dynamic
 * header's checksum so that a damaged field is named with QEMU's wording ({@code Invalid block size 0}).
 */
final class VhdOpener {
    static final String FOOTER = "VHD footer";
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


    private final BlockFile file;
    private final String name;
    private final boolean ignoreChecksums;
    private final List<String> notes = new ArrayList<>();
    private boolean checksumsIgnored;

    private VhdOpener(BlockFile file, boolean ignoreChecksums) {
        this.file = file;
        this.name = file.name();
        this.ignoreChecksums = ignoreChecksums;
    }

    /**
     * @param ignoreChecksums accept a bad footer or header checksum, and open the image read-only
     */
    static BlockImage open(BlockFile file, boolean readOnly, SizeMode mode, boolean ignoreChecksums)
            throws IOException {
        return new VhdOpener(file, ignoreChecksums).open(readOnly, mode);
    }

    private BlockImage open(boolean readOnly, SizeMode mode) throws IOException {
        long fileSize = file.size();
        if (fileSize < VhdFooter.SHORT_SIZE) {
            throw new CorruptImageException(name, FOOTER, null, -1, "File too small for a VHD header",
                    "at least 511 bytes", fileSize + " bytes");
        }
        ChosenFooter chosen = chooseFooter(fileSize);
        VhdFooter footer = chosen.footer;
        int type = footer.diskType();
        long typeOffset = chosen.fieldOffset(VhdFooter.OFFSET_DISK_TYPE);
        if (type == VhdFooter.TYPE_DIFFERENCING) {
            throw new UnsupportedFeatureException(name + ": differencing VHD images are not supported yet"
                    + parentDescription(footer, fileSize));
        }
        if (type != VhdFooter.TYPE_FIXED && type != VhdFooter.TYPE_DYNAMIC) {
            throw new CorruptImageException(name, FOOTER, "disk_type", typeOffset,
                    "Unknown disk type " + Integer.toUnsignedString(type), "2 (fixed) or 3 (dynamic)",
                    Integer.toUnsignedString(type));
        }
        if (type == VhdFooter.TYPE_FIXED && chosen.trailingOffset < 0) {
            throw new CorruptImageException(name, FOOTER, "invalid VPC image: a fixed image has no footer copy");
        }
        VirtualSize size = virtualSize(footer, mode);
        long virtualSize = size.bytes;
        VhdFacts facts = new VhdFacts(footer, chosen.trailingOffset, chosen.source, virtualSize, size.source,
                checksumsIgnored, notes);
        if (type == VhdFooter.TYPE_FIXED) {
            if (virtualSize > chosen.trailingOffset) {
                throw new CorruptImageException(name, FOOTER, "current_size",
                        chosen.fieldOffset(VhdFooter.OFFSET_CURRENT_SIZE),
                        "File too short for the virtual size of a fixed image; the image has been truncated",
                        "at least " + virtualSize + " data bytes", chosen.trailingOffset + " data bytes");
            }
            return new FixedVhdImage(file, readOnly || checksumsIgnored, facts);
        }
        return openDynamic(readOnly, facts, chosen, fileSize);
    }

    // ---- footer -------------------------------------------------------------------------------

    /**
     * The footer in use and where it came from.
     *
     * @param trailingOffset where it sits at the end of the file, or -1 for the copy at offset 0
     * @param readFrom       where it was read, for the offsets of error messages
     */
    private record ChosenFooter(VhdFooter footer, long trailingOffset, long readFrom, String source) {

        long fieldOffset(int field) {
            return readFrom + field;
        }
    }

    /**
     * The footer at the end of the file is the primary; a 511-byte one (Virtual PC before 2004) is
     * accepted too. When it is unusable, the copy at offset 0 is used (the specification's rule),
     * which is also what keeps an image readable when a crash cut an allocation short.
     */
    private ChosenFooter chooseFooter(long fileSize) throws IOException {
        long trailingAt = fileSize - VhdFooter.SIZE;
        VhdFooter trailing = trailingAt >= 0 ? readFooter(trailingAt, VhdFooter.SIZE) : null;
        if ((trailing == null || !trailing.hasValidCookie()) && fileSize % VhdFooter.SIZE == VhdFooter.SHORT_SIZE) {
            trailingAt = fileSize - VhdFooter.SHORT_SIZE;
            trailing = readFooter(trailingAt, VhdFooter.SHORT_SIZE);
        }
        VhdFooter copy = fileSize >= VhdFooter.SIZE ? readFooter(0, VhdFooter.SIZE) : null;
        boolean copyUsable = copy != null && copy.hasValidCookie() && copy.diskType() != VhdFooter.TYPE_FIXED;
        if (trailing != null && trailing.hasValidCookie() && trailing.hasValidChecksum()) {
            if (copyUsable && trailing.diskType() != VhdFooter.TYPE_FIXED && !copy.equals(trailing)) {
                notes.add("the footer copy at offset 0 differs from the footer at offset " + trailingAt);
            }
            return new ChosenFooter(trailing, trailingAt, trailingAt, "footer at end of file");
        }
        if (copyUsable && copy.hasValidChecksum()) {
            notes.add("the footer at the end of the file is " + (trailing != null && trailing.hasValidCookie()
                    ? "damaged (bad checksum)" : "missing") + "; the copy at offset 0 is in use");
            return new ChosenFooter(copy, -1, 0, "copy at offset 0 (the footer at the end is unusable)");
        }
        VhdFooter damaged = trailing != null && trailing.hasValidCookie() ? trailing : copyUsable ? copy : null;
        long damagedAt = damaged == trailing ? trailingAt : 0;
        if (damaged == null) {
            throw new CorruptImageException(name, FOOTER, "cookie", trailingAt, "invalid VPC image",
                    "conectix", "no VHD footer at the end of the file or at offset 0");
        }
        if (ignoreChecksums) {
            checksumsIgnored = true;
            notes.add("the footer checksum is wrong; accepted for a read-only rescue");
            return new ChosenFooter(damaged, damaged == trailing ? trailingAt : -1, damagedAt,
                    "footer with a bad checksum, accepted read-only");
        }
        throw new CorruptImageException(name, FOOTER, "checksum", damagedAt + VhdFooter.OFFSET_CHECKSUM,
                "Incorrect header checksum", hex(damaged.computeChecksum()), hex(damaged.checksum()));
    }

    private VhdFooter readFooter(long at, int length) throws IOException {
        byte[] bytes = new byte[length];
        file.readFully(ByteBuffer.wrap(bytes), at);
        return VhdFooter.decode(bytes);
    }

    // ---- virtual size ---------------------------------------------------------------------------

    /** The size by {@link VhdFooter#sizedByGeometry()}, unless {@code force_size_calc} says otherwise. */
    private VirtualSize virtualSize(VhdFooter footer, SizeMode mode) throws IOException {
        Geometry geometry = footer.geometry();
        String creator = "creator '" + footer.creatorAppText() + "'";
        boolean useChs = !geometry.isMax() && mode != SizeMode.CURRENT_SIZE
                && (mode == SizeMode.CHS || footer.sizedByGeometry());
        String source;
        long size;
        if (useChs) {
            size = geometry.totalSectors() * VhdLayout.SECTOR;
            source = "chs (" + (mode == SizeMode.CHS ? "forced" : creator) + ")";
        } else {
            long current = footer.currentSize();
            if (current < 0 || current > VhdLayout.MAX_VIRTUAL_SIZE) {
                throw new UnsupportedFeatureException(name + ": File too large: the virtual size "
                        + Long.toUnsignedString(current) + " bytes is beyond the VHD limit of 2040 GiB ("
                        + VhdLayout.MAX_VIRTUAL_SIZE + " bytes)");
            }
            size = current / VhdLayout.SECTOR * VhdLayout.SECTOR;
            source = "current-size (" + (mode == SizeMode.CURRENT_SIZE ? "forced"
                    : geometry.isMax() ? "maximum geometry" : creator) + ")";
        }
        return new VirtualSize(size, source);
    }

    /** A virtual size and how it was computed. */
    private record VirtualSize(long bytes, String source) {
    }

    // ---- dynamic --------------------------------------------------------------------------------

    private String parentDescription(VhdFooter footer, long fileSize) throws IOException {
        long at = footer.dataOffset();
        if (at < VhdFooter.SIZE || at > fileSize - DynamicHeader.SIZE) {
            return " (its dynamic header is unreadable, so the parent is unknown)";
        }
        DynamicHeader header = readHeader(at, DynamicHeader.SIZE);
        if (header.cookie() != DynamicHeader.COOKIE) {
            return " (its dynamic header is damaged, so the parent is unknown)";
        }
        return "; its parent is '" + header.parentNameText() + "' (UUID " + header.parentUniqueId() + ")";
    }

    private DynamicHeader readHeader(long at, int available) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(DynamicHeader.SIZE);
        file.readFully(bytes.limit(available), at);
        return DynamicHeader.decode(bytes.clear());
    }

    private BlockImage openDynamic(boolean readOnly, VhdFacts facts, ChosenFooter chosen, long fileSize)
            throws IOException {
        VhdFooter footer = facts.footer();
        long headerAt = footer.dataOffset();
        if (headerAt < VhdFooter.SIZE || headerAt > fileSize - DynamicHeader.OFFSET_CHECKSUM) {
            throw new CorruptImageException(name, FOOTER, "data_offset",
                    chosen.fieldOffset(VhdFooter.OFFSET_DATA_OFFSET),
                    "Error reading dynamic VHD header: the data offset points outside the file",
                    "512 to " + (fileSize - DynamicHeader.SIZE), Long.toUnsignedString(headerAt));
        }
        // A header cut short by the end of the file is read as far as it goes (the rest as zeros,
        // as QEMU sees it), so that a damaged field in it is named before the truncation is.
        boolean headerTruncated = headerAt > fileSize - DynamicHeader.SIZE;
        DynamicHeader header = readHeader(headerAt, (int) Math.min(DynamicHeader.SIZE, fileSize - headerAt));
        if (header.cookie() != DynamicHeader.COOKIE) {
            throw new CorruptImageException(name, HEADER, "cookie", headerAt, "Invalid header magic", "cxsparse",
                    hex(header.cookie()));
        }
        long blockSize = header.blockSizeUnsigned();
        if (Long.bitCount(blockSize) != 1 || blockSize < VhdLayout.MIN_BLOCK_SIZE
                || blockSize > VhdLayout.MAX_BLOCK_SIZE) {
            throw new CorruptImageException(name, HEADER, "block_size", headerAt + DynamicHeader.OFFSET_BLOCK_SIZE,
                    "Invalid block size " + blockSize, "a power of two from 512 to " + VhdLayout.MAX_BLOCK_SIZE,
                    Long.toString(blockSize));
        }
        long entries = header.maxTableEntriesUnsigned();
        long entriesAt = headerAt + DynamicHeader.OFFSET_MAX_TABLE_ENTRIES;
        if (entries > VhdLayout.MAX_TABLE_ENTRIES) {
            throw new CorruptImageException(name, HEADER, "max_table_entries", entriesAt,
                    "Max Table Entries too large (" + entries + ")", "at most " + VhdLayout.MAX_TABLE_ENTRIES,
                    Long.toString(entries));
        }
        long virtualSize = facts.virtualSize();
        long blocksNeeded = VhdLayout.ceilDiv(virtualSize, blockSize);
        if (entries < blocksNeeded) {
            throw new CorruptImageException(name, HEADER, "max_table_entries", entriesAt, "Page table too small",
                    "at least " + blocksNeeded + " entries for " + virtualSize + " bytes", Long.toString(entries));
        }
        if (headerTruncated) {
            throw new CorruptImageException(name, HEADER, null, headerAt,
                    "The dynamic header is cut short by the end of the file; the image has been truncated",
                    DynamicHeader.SIZE + " bytes", (fileSize - headerAt) + " bytes");
        }
        long tableAt = header.tableOffset();
        long tableBytes = entries * 4;
        long tableFieldAt = headerAt + DynamicHeader.OFFSET_TABLE_OFFSET;
        if (tableAt < 0 || tableAt > fileSize - tableBytes) {
            throw new CorruptImageException(name, HEADER, "table_offset", tableFieldAt,
                    "The block allocation table lies outside the file", "a table of " + tableBytes
                    + " bytes within " + fileSize + " bytes", Long.toUnsignedString(tableAt));
        }
        long tableEnd = tableAt + VhdLayout.batBytesOnDisk(entries);
        if (overlaps(tableAt, tableAt + tableBytes, 0, VhdFooter.SIZE)
                || overlaps(tableAt, tableAt + tableBytes, headerAt, headerAt + DynamicHeader.SIZE)) {
            throw new CorruptImageException(name, HEADER, "table_offset", tableFieldAt,
                    "The block allocation table overlaps the footer copy or the dynamic header",
                    "a table clear of [0, 512) and [" + headerAt + ", " + (headerAt + DynamicHeader.SIZE) + ")",
                    Long.toString(tableAt));
        }
        if (!header.hasValidChecksum()) {
            if (!ignoreChecksums) {
                throw new CorruptImageException(name, HEADER, "checksum", headerAt + DynamicHeader.OFFSET_CHECKSUM,
                        "Incorrect dynamic header checksum", hex(header.computeChecksum()), hex(header.checksum()));
            }
            checksumsIgnored = true;
            notes.add("the dynamic header checksum is wrong; accepted for a read-only rescue");
            facts = new VhdFacts(facts.footer(), facts.footerOffset(), facts.footerSource(), virtualSize,
                    facts.sizeSource(), true, notes);
        }
        // The table fits in the file, but a sparse file costs nothing to make: refuse a table the
        // heap cannot hold with a clear error rather than an OutOfMemoryError.
        if (tableBytes > Runtime.getRuntime().maxMemory() / 4) {
            throw new UnsupportedFeatureException(name + ": the block allocation table has " + entries
                    + " entries (" + (tableBytes >> 20) + " MiB), more than a quarter of this JVM's heap; run with"
                    + " a larger -Xmx to open it");
        }
        BlockAllocationTable bat = BlockAllocationTable.read(file, tableAt, (int) entries);
        int bitmapSize = DynamicHeader.bitmapSize((int) blockSize);
        long dataEnd = checkBlocks(bat, tableAt, tableEnd, headerAt, blockSize + bitmapSize, fileSize);
        long appendAt = Math.max(Math.max(tableEnd, headerAt + DynamicHeader.SIZE), dataEnd);
        appendAt = Math.max(appendAt, facts.footerOffset() >= 0 ? facts.footerOffset() : fileSize);
        appendAt = VhdLayout.roundUp(appendAt, VhdLayout.SECTOR);
        return new DynamicVhdImage(file, readOnly || facts.checksumsIgnored(), facts, header, bat, appendAt);
    }

    /**
     * Checks that every allocated block lies inside the file, clear of the metadata and of every other
     * block (sorted, so n log n).
     *
     * @return the end of the last block, or 0 when none is allocated
     */
    private long checkBlocks(BlockAllocationTable bat, long tableAt, long tableEnd, long headerAt, long span,
                             long fileSize) throws IOException {
        // Sector numbers with the sign bit flipped sort as the unsigned numbers they are.
        int[] starts = new int[bat.allocatedCount()];
        int k = 0;
        long dataEnd = 0;
        for (int i = 0; i < bat.size(); i++) {
            if (!bat.isAllocated(i)) {
                continue;
            }
            long start = bat.blockOffset(i);
            long end = start + span;
            long entryAt = tableAt + 4L * i;
            if (end > fileSize) {
                throw new CorruptImageException(name, BAT, "entry " + i, entryAt,
                        "free_data_block_offset points after the end of file. The image has been truncated.",
                        "a block ending by " + fileSize, "a block ending at " + end);
            }
            if (overlaps(start, end, 0, VhdFooter.SIZE) || overlaps(start, end, headerAt, headerAt + DynamicHeader.SIZE)
                    || overlaps(start, end, tableAt, tableEnd)) {
                throw new CorruptImageException(name, BAT, "entry " + i, entryAt,
                        "block " + i + " overlaps the image metadata", "a block clear of the footer copy, the header"
                        + " and the table", "a block at " + start);
            }
            dataEnd = Math.max(dataEnd, end);
            starts[k++] = bat.get(i) ^ Integer.MIN_VALUE;
        }
        Arrays.sort(starts);
        for (int j = 1; j < starts.length; j++) {
            long previousStart = Integer.toUnsignedLong(starts[j - 1] ^ Integer.MIN_VALUE) << VhdLayout.SECTOR_SHIFT;
            long start = Integer.toUnsignedLong(starts[j] ^ Integer.MIN_VALUE) << VhdLayout.SECTOR_SHIFT;
            if (start < previousStart + span) {
                int previous = indexOf(bat, previousStart, -1);
                int current = indexOf(bat, start, previous);
                throw new CorruptImageException(name, BAT, "entry " + current, tableAt + 4L * current,
                        "blocks " + previous + " and " + current + " overlap", "blocks at least " + span
                        + " bytes apart", "blocks at " + previousStart + " and " + start);
            }
        }
        return dataEnd;
    }

    /** @return the first allocated entry other than {@code except} whose block starts at {@code offset} */
    private static int indexOf(BlockAllocationTable bat, long offset, int except) {
        for (int i = 0; i < bat.size(); i++) {
            if (i != except && bat.isAllocated(i) && bat.blockOffset(i) == offset) {
                return i;
            }
        }
        return -1;
    }

    private static boolean overlaps(long start, long end, long otherStart, long otherEnd) {
        return start < otherEnd && otherStart < end;
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String hex(int value) {
        return "0x" + Integer.toHexString(value);
    }
}
