package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.ProgressListener;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.UnsupportedFeatureException;

/**
 * Checks a VHD's metadata straight from its file, whether or not the image would open, and repairs
 * what is safe. vhd-util's list of checks is the model:
 *
 * <ul>
 *   <li>footers: the one at the end (or a 511-byte one) and, for a dynamic image, its copy at
 *       offset 0: cookie, checksum, feature bits, version, data offset, timestamp, disk type, saved
 *       state, reserved bytes, unique id, geometry; the copy must equal the footer;</li>
 *   <li>the dynamic header: cookie, checksum, version, data offset, table offset (aligned, inside
 *       the file, clear of the footer copy and the header), block size, max table entries (bounded,
 *       enough for the virtual size), reserved and parent fields;</li>
 *   <li>the BAT: every entry inside the file and before the footer, clear of the metadata and of
 *       every other block (sorted, not compared pairwise); blocks past the footer; blocks beyond
 *       the virtual size;</li>
 *   <li>leaked space: gaps between blocks and between the last block and the footer;</li>
 *   <li>optionally ({@code check_bitmaps}) data in sectors whose bitmap bit is clear.</li>
 * </ul>
 *
 * <h2>What counts as a leak</h2>
 * Blocks are appended, so a crash between allocation steps leaves unreferenced space after the last
 * block, or (after later allocations) between blocks. The space between the BAT and the first block
 * is room for the BAT to grow (Hyper-V leaves some, and a resize that moved blocks leaves some): it
 * is not a leak. With no block at all, space before the footer is a leak only when a whole block
 * would fit in it.
 *
 * <h2>Repairs, in this order, each made durable before the next</h2>
 * <ol>
 *   <li>BAT entries that point outside the file, at the footer, into the metadata or into another
 *       block are set to unallocated (of two overlapping blocks, the higher-numbered entry goes);
 *       </li>
 *   <li>leaked gaps between blocks are filled by moving the last block into them (copy, flush, then
 *       the BAT entry, flush), so that the leak ends up at the end;</li>
 *   <li>a wrong dynamic header checksum is rewritten, when no field of the header is wrong;</li>
 *   <li>the footer is put where it belongs, right after the last block: this restores a missing or
 *       damaged footer from its copy (or rewrites its checksum), moves it past a block that runs
 *       over it, and cuts off a leak at the end (the new footer is written before the file is
 *       trimmed, so the file always ends with a valid footer); a footer left inside a block is
 *       zeroed in the sectors the block's bitmap marks unwritten, so that every reader agrees;</li>
 *   <li>the footer copy at offset 0 is rewritten from the footer.</li>
 * </ol>
 * {@link CheckMode#REPAIR_LEAKS} makes only the repairs whose every reason is a leak, and only on an
 * image with no corruption; {@link CheckMode#REPAIR_ALL} makes them all. No byte that a valid BAT
 * entry and its bitmap make readable is changed.
 */
final class VhdChecker {
    /** A timestamp this far in the future is suspicious (vhd-util's margin). */
    private static final long FUTURE_MARGIN_SECONDS = 1800;
    private static final int COPY_CHUNK = 1 << 20;
    /** Bad BAT entries reported one by one; the rest are counted in one finding. */
    private static final int MAX_LISTED_ENTRIES = 1000;
    private static final int OFFSET_FEATURES = 8;
    private static final int OFFSET_VERSION = 12;
    private static final int OFFSET_TIMESTAMP = 24;
    private static final int OFFSET_GEOMETRY = 56;
    private static final int OFFSET_UNIQUE_ID = 68;
    private static final int OFFSET_SAVED_STATE = 84;
    private static final int OFFSET_RESERVED = 85;
    private static final int HEADER_OFFSET_VERSION = 24;
    private static final int HEADER_OFFSET_DATA_OFFSET = 8;
    private static final int HEADER_OFFSET_PARENT = 40;

    /** What a check found and changed, for an open image to follow. */
    record Outcome(CheckReport report, long footerOffset, Map<Integer, Integer> changedEntries) {
    }

    /** The repairs a finding asks for. */
    private enum Repair {
        NONE, DROP_ENTRY, FILL_HOLE, HEADER_CHECKSUM, PLACE_FOOTER, FOOTER_COPY
    }

    private static final class Item {
        final Severity severity;
        final String message;
        final long offset;
        final Repair repair;
        boolean repaired;
        String done;

        Item(Severity severity, String message, long offset, Repair repair) {
            this.severity = severity;
            this.message = message;
            this.offset = offset;
            this.repair = repair;
        }
    }

    private final BlockFile file;
    private final CheckMode mode;
    private final boolean checkBitmaps;
    private final ProgressListener progress;
    private final long fileSize;
    private final List<Item> items = new ArrayList<>();
    private long imageEnd = -1;
    private long totalClusters;
    private long allocatedClusters;
    private long fragmentedClusters;

    // What the analysis learned, for the repairs.
    private VhdFooter goodFooter;
    private long trailingAt = -1;
    private boolean trailingValid;
    private DynamicHeader header;
    private long headerAt;
    private long metadataEnd;
    private BlockAllocationTable entries;
    private final TreeSet<Integer> dropped = new TreeSet<>();
    private long firstUnlistedAt = -1;
    private long span;
    private final List<long[]> holes = new ArrayList<>();
    private final Map<Integer, Integer> changed = new LinkedHashMap<>();
    private long footerPlacedAt = -1;

    private VhdChecker(BlockFile file, CheckMode mode, boolean checkBitmaps, ProgressListener progress)
            throws IOException {
        this.file = file;
        this.mode = mode;
        this.checkBitmaps = checkBitmaps;
        this.progress = progress;
        this.fileSize = file.size();
    }

    /**
     * Checks the image in {@code file} and repairs what {@code mode} allows. The caller keeps other
     * writers of the metadata out while this runs, and has written back any metadata it caches.
     *
     * <p>Progress is counted in BAT entries examined, plus the blocks whose bitmaps are read when
     * {@code checkBitmaps} asks for it (the one part that reads data, and takes time).
     */
    static Outcome check(BlockFile file, CheckMode mode, boolean checkBitmaps, ProgressListener progress)
            throws IOException {
        return new VhdChecker(file, mode, checkBitmaps, progress).run();
    }

    /**
     * The virtual size open computes without options: the CHS size for Virtual PC and QEMU images,
     * the current size for the rest and for the maximum geometry.
     */
    static long defaultVirtualSize(VhdFooter footer) {
        long size = footer.sizedByGeometry() ? footer.geometry().totalSectors() * VhdLayout.SECTOR
                : footer.currentSize();
        return Math.max(0, Math.min(size, VhdLayout.MAX_VIRTUAL_SIZE)) / VhdLayout.SECTOR * VhdLayout.SECTOR;
    }

    /** @return the footer open would use, checksum aside, or null when the file has none */
    static VhdFooter findFooter(BlockFile file) throws IOException {
        long size = file.size();
        for (long at : new long[] {size - VhdFooter.SIZE, size - VhdFooter.SHORT_SIZE, 0}) {
            if (at >= 0) {
                VhdFooter footer = readFooter(file, at, (int) Math.min(VhdFooter.SIZE, size - at));
                if (footer.hasValidCookie()) {
                    return footer;
                }
            }
        }
        return null;
    }

    private Outcome run() throws IOException {
        if (fileSize < VhdFooter.SHORT_SIZE) {
            add(Severity.CORRUPTION, "File too small for a VHD footer (" + fileSize + " bytes)", 0, Repair.NONE);
            return outcome();
        }
        if (checkFooters()) {
            if (goodFooter.diskType() == VhdFooter.TYPE_DYNAMIC) {
                checkDynamic();
            } else if (goodFooter.diskType() == VhdFooter.TYPE_FIXED) {
                checkFixed();
            }
        }
        if (mode.repairs()) {
            repair();
        }
        return outcome();
    }

    private Outcome outcome() {
        CheckReport.Builder builder = new CheckReport.Builder();
        for (Item item : items) {
            builder.add(item.severity, item.repaired ? item.message + "; repaired: " + item.done : item.message,
                    item.offset, item.repaired);
        }
        builder.imageEndOffset(imageEnd >= 0 ? imageEnd : fileSize);
        builder.clusters(totalClusters, allocatedClusters, fragmentedClusters);
        return new Outcome(builder.build(), footerPlacedAt, changed);
    }

    private Item add(Severity severity, String message, long offset, Repair repair) {
        Item item = new Item(severity, message, offset, repair);
        items.add(item);
        return item;
    }

    // ---- footers --------------------------------------------------------------------------------

    /** @return whether a footer to go on with was found */
    private boolean checkFooters() throws IOException {
        trailingAt = Math.max(0, fileSize - VhdFooter.SIZE);
        VhdFooter trailing = readFooter(file, trailingAt, (int) Math.min(VhdFooter.SIZE, fileSize));
        if (!trailing.hasValidCookie() && fileSize % VhdFooter.SIZE == VhdFooter.SHORT_SIZE) {
            trailingAt = fileSize - VhdFooter.SHORT_SIZE;
            trailing = readFooter(file, trailingAt, VhdFooter.SHORT_SIZE);
        }
        VhdFooter copy = fileSize >= VhdFooter.SIZE ? readFooter(file, 0, VhdFooter.SIZE) : null;
        boolean copyUsable = copy != null && copy.hasValidCookie() && copy.diskType() != VhdFooter.TYPE_FIXED;
        trailingValid = trailing.hasValidCookie() && trailing.hasValidChecksum();
        if (trailing.hasValidCookie() && trailing.diskType() == VhdFooter.TYPE_FIXED) {
            // A fixed image's first sector is disk data, never a footer copy.
            copy = null;
            copyUsable = false;
        }
        if (trailingValid) {
            goodFooter = trailing;
        } else if (copyUsable && copy.hasValidChecksum()) {
            goodFooter = copy;
        } else if (trailing.hasValidCookie()) {
            goodFooter = trailing.withChecksum();
        } else if (copyUsable) {
            goodFooter = copy.withChecksum();
        } else {
            add(Severity.CORRUPTION, "invalid VPC image: no VHD footer (cookie 'conectix') at the end of the file"
                    + " or at offset 0", trailingAt, Repair.NONE);
            return false;
        }
        boolean dynamic = goodFooter.diskType() != VhdFooter.TYPE_FIXED;
        if (!trailing.hasValidCookie()) {
            add(Severity.CORRUPTION, "The footer at the end of the file is missing (no 'conectix' cookie);"
                    + " the copy at offset 0 is intact", trailingAt, Repair.PLACE_FOOTER);
        } else if (!trailing.hasValidChecksum()) {
            add(Severity.CORRUPTION, "Incorrect footer checksum: " + hex(trailing.checksum()) + " vs expected "
                    + hex(trailing.computeChecksum()), trailingAt + VhdFooter.OFFSET_CHECKSUM, Repair.PLACE_FOOTER);
        }
        checkFooterFields(goodFooter, trailing.hasValidCookie() ? trailingAt : 0);
        if (dynamic && copy != null) {
            if (!copy.hasValidCookie()) {
                add(Severity.CORRUPTION, "The footer copy at offset 0 is missing (no 'conectix' cookie)", 0,
                        Repair.FOOTER_COPY);
            } else if (!copy.hasValidChecksum()) {
                add(Severity.CORRUPTION, "Incorrect checksum of the footer copy at offset 0: " + hex(copy.checksum())
                        + " vs expected " + hex(copy.computeChecksum()), VhdFooter.OFFSET_CHECKSUM,
                        Repair.FOOTER_COPY);
            } else if (trailingValid && !copy.equals(trailing)) {
                add(Severity.CORRUPTION, "The footer copy at offset 0 differs from the footer at offset "
                        + trailingAt + " (" + difference(copy, trailing) + ")", 0, Repair.FOOTER_COPY);
            }
        }
        return true;
    }

    private static String difference(VhdFooter copy, VhdFooter footer) {
        byte[] a = copy.toBytes();
        byte[] b = footer.toBytes();
        int at = Arrays.mismatch(a, b);
        return "first at byte " + at;
    }

    /** Field checks of the footer in use (vhd-util's list), reported against where it lies. */
    private void checkFooterFields(VhdFooter footer, long at) {
        int type = footer.diskType();
        if (type != VhdFooter.TYPE_FIXED && type != VhdFooter.TYPE_DYNAMIC) {
            add(Severity.CORRUPTION, "Unknown disk type " + Integer.toUnsignedString(type)
                    + " (2 fixed and 3 dynamic are checked)", at + VhdFooter.OFFSET_DISK_TYPE, Repair.NONE);
        }
        if ((footer.features() & VhdFooter.FEATURE_RESERVED) == 0) {
            add(Severity.WARNING, "The footer's reserved feature bit 0x2 is clear (the specification wants it"
                    + " set)", at + OFFSET_FEATURES, Repair.NONE);
        }
        if ((footer.features() & ~0x3) != 0) {
            add(Severity.WARNING, "The footer has unknown feature bits " + hex(footer.features() & ~0x3),
                    at + OFFSET_FEATURES, Repair.NONE);
        }
        if (footer.formatVersion() != VhdFooter.VERSION_1_0) {
            add(Severity.WARNING, "The footer's format version is " + hex(footer.formatVersion())
                    + ", not 1.0 (0x10000); read as 1.0", at + OFFSET_VERSION, Repair.NONE);
        }
        if (type == VhdFooter.TYPE_FIXED && footer.dataOffset() != VhdFooter.NO_DATA_OFFSET) {
            add(Severity.WARNING, "A fixed image's data offset should be all ones, not "
                    + Long.toUnsignedString(footer.dataOffset()), at + VhdFooter.OFFSET_DATA_OFFSET, Repair.NONE);
        }
        Instant created = footer.creationTime();
        if (created.isAfter(Instant.now().plusSeconds(FUTURE_MARGIN_SECONDS))) {
            add(Severity.WARNING, "The creation time " + created + " is in the future", at + OFFSET_TIMESTAMP,
                    Repair.NONE);
        }
        if (footer.savedState() != 0) {
            add(Severity.WARNING, footer.savedState() == 1
                    ? "The image is in a saved state (Virtual PC): it should not be changed"
                    : "Invalid saved-state byte " + (footer.savedState() & 0xFF), at + OFFSET_SAVED_STATE, Repair.NONE);
        }
        byte[] reserved = footer.reserved();
        // blktap keeps a 0/1 "hidden" flag in the first reserved byte.
        if ((reserved[0] & 0xFF) > 1 || !isZero(reserved, 1, reserved.length)) {
            add(Severity.WARNING, "The footer's reserved bytes are not zero", at + OFFSET_RESERVED, Repair.NONE);
        }
        if (footer.uniqueId().getMostSignificantBits() == 0 && footer.uniqueId().getLeastSignificantBits() == 0) {
            add(Severity.WARNING, "The footer's unique id is all zeros", at + OFFSET_UNIQUE_ID, Repair.NONE);
        }
        Geometry geometry = footer.geometry();
        if (!geometry.isMax() && geometry.totalSectors() * VhdLayout.SECTOR > footer.currentSize()) {
            add(Severity.WARNING, "The geometry " + geometry + " describes "
                    + geometry.totalSectors() * VhdLayout.SECTOR + " bytes, more than the current size "
                    + footer.currentSize(), at + OFFSET_GEOMETRY, Repair.NONE);
        }
    }

    // ---- fixed ----------------------------------------------------------------------------------

    private void checkFixed() {
        long dataBytes = trailingAt;
        long size = defaultVirtualSize(goodFooter);
        if (size > dataBytes) {
            add(Severity.CORRUPTION, "File too short for the virtual size of a fixed image: " + dataBytes
                    + " data bytes for " + size + " bytes; the image has been truncated", trailingAt, Repair.NONE);
        }
        imageEnd = fileSize;
    }

    // ---- dynamic --------------------------------------------------------------------------------

    private void checkDynamic() throws IOException {
        headerAt = goodFooter.dataOffset();
        long dataOffsetAt = (trailingValid ? trailingAt : 0) + VhdFooter.OFFSET_DATA_OFFSET;
        if (headerAt < VhdFooter.SIZE || headerAt > fileSize - DynamicHeader.SIZE) {
            add(Severity.CORRUPTION, "Error reading dynamic VHD header: the data offset "
                    + Long.toUnsignedString(headerAt) + " points outside the file", dataOffsetAt, Repair.NONE);
            return;
        }
        ByteBuffer bytes = ByteBuffer.allocate(DynamicHeader.SIZE);
        file.readFully(bytes, headerAt);
        header = DynamicHeader.decode(bytes.flip());
        if (header.cookie() != DynamicHeader.COOKIE) {
            add(Severity.CORRUPTION, "Invalid header magic: no 'cxsparse' dynamic header at the footer's data"
                    + " offset", headerAt, Repair.NONE);
            return;
        }
        long blockSize = header.blockSizeUnsigned();
        if (Long.bitCount(blockSize) != 1 || blockSize < VhdLayout.MIN_BLOCK_SIZE
                || blockSize > VhdLayout.MAX_BLOCK_SIZE) {
            add(Severity.CORRUPTION, "Invalid block size " + blockSize, headerAt + DynamicHeader.OFFSET_BLOCK_SIZE,
                    Repair.NONE);
            return;
        }
        long maxEntries = header.maxTableEntriesUnsigned();
        long entriesAt = headerAt + DynamicHeader.OFFSET_MAX_TABLE_ENTRIES;
        long virtualSize = defaultVirtualSize(goodFooter);
        long needed = VhdLayout.ceilDiv(virtualSize, blockSize);
        if (maxEntries > VhdLayout.MAX_TABLE_ENTRIES) {
            add(Severity.CORRUPTION, "Max Table Entries too large (" + maxEntries + ")", entriesAt, Repair.NONE);
            return;
        }
        if (maxEntries < needed) {
            add(Severity.CORRUPTION, "Page table too small: " + maxEntries + " entries for " + needed + " blocks",
                    entriesAt, Repair.NONE);
            return;
        }
        long tableAt = header.tableOffset();
        long tableFieldAt = headerAt + DynamicHeader.OFFSET_TABLE_OFFSET;
        long tableEnd = tableAt + VhdLayout.batBytesOnDisk(maxEntries);
        if (tableAt < 0 || tableAt > fileSize - maxEntries * 4) {
            add(Severity.CORRUPTION, "The block allocation table at " + Long.toUnsignedString(tableAt)
                    + " lies outside the file", tableFieldAt, Repair.NONE);
            return;
        }
        if (overlaps(tableAt, tableEnd, 0, VhdFooter.SIZE)
                || overlaps(tableAt, tableEnd, headerAt, headerAt + DynamicHeader.SIZE)) {
            add(Severity.CORRUPTION, "The block allocation table overlaps the footer copy or the dynamic header",
                    tableFieldAt, Repair.NONE);
            return;
        }
        if (tableAt % VhdLayout.SECTOR != 0) {
            add(Severity.WARNING, "The block allocation table is not sector-aligned (at " + tableAt + ")",
                    tableFieldAt, Repair.NONE);
        }
        checkHeaderWarnings();
        if (!header.hasValidChecksum()) {
            add(Severity.CORRUPTION, "Incorrect dynamic header checksum: " + hex(header.checksum())
                    + " vs expected " + hex(header.computeChecksum()), headerAt + DynamicHeader.OFFSET_CHECKSUM,
                    Repair.HEADER_CHECKSUM);
        }
        // Entries and their sort keys: 12 bytes an entry, refused (as open refuses its 4) beyond the heap.
        if (maxEntries * 12 > Runtime.getRuntime().maxMemory() / 4) {
            throw new UnsupportedFeatureException(file.name() + ": the block allocation table has " + maxEntries
                    + " entries, too many to check in this JVM's heap; run with a larger -Xmx");
        }
        entries = BlockAllocationTable.read(file, tableAt, (int) maxEntries);
        span = blockSize + DynamicHeader.bitmapSize((int) blockSize);
        totalClusters = needed;
        metadataEnd = Math.max(tableEnd, headerAt + DynamicHeader.SIZE);
        checkBlocks(tableAt, tableEnd, needed);
    }

    private void checkHeaderWarnings() {
        if (header.headerVersion() != DynamicHeader.VERSION_1_0) {
            add(Severity.WARNING, "The dynamic header's version is " + hex(header.headerVersion()) + ", not 1.0",
                    headerAt + HEADER_OFFSET_VERSION, Repair.NONE);
        }
        if (header.dataOffset() != -1L) {
            add(Severity.WARNING, "The dynamic header's data offset should be all ones, not "
                    + Long.toUnsignedString(header.dataOffset()), headerAt + HEADER_OFFSET_DATA_OFFSET, Repair.NONE);
        }
        boolean parentSet = header.parentUniqueId().getMostSignificantBits() != 0
                || header.parentUniqueId().getLeastSignificantBits() != 0 || header.parentTimestamp() != 0
                || !isZero(header.parentName(), 0, header.parentName().length)
                || header.parentLocators().stream().anyMatch(l -> l.platformCode() != 0);
        if (parentSet) {
            add(Severity.WARNING, "A dynamic image has parent fields set (they belong to differencing images)",
                    headerAt + HEADER_OFFSET_PARENT, Repair.NONE);
        }
        if (header.reserved1() != 0 || !isZero(header.reserved2(), 0, header.reserved2().length)) {
            add(Severity.WARNING, "The dynamic header's reserved bytes are not zero", headerAt, Repair.NONE);
        }
    }

    /**
     * BAT entries: in the file, before the footer, clear of the metadata and of each other (sorted by
     * position); then leaks and the footer's place.
     */
    private void checkBlocks(long tableAt, long tableEnd, long needed) throws IOException {
        long limit = trailingValid ? trailingAt : fileSize;
        long[] keys = new long[entries.size()];
        int k = 0;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) == BlockAllocationTable.UNALLOCATED) {
                continue;
            }
            long start = blockStart(i);
            long entryAt = tableAt + 4L * i;
            if (start >= limit) {
                drop(i, "BAT entry " + i + " points outside the file: a block at " + start + ", but the "
                        + (trailingValid ? "footer is at " : "file ends at ") + limit, entryAt);
            } else if (overlaps(start, start + span, 0, VhdFooter.SIZE)
                    || overlaps(start, start + span, headerAt, headerAt + DynamicHeader.SIZE)
                    || overlaps(start, start + span, tableAt, tableEnd)) {
                drop(i, "BAT entry " + i + " points into the image metadata (a block at " + start + ")", entryAt);
            } else {
                keys[k++] = ((long) entries.get(i) & 0xFFFFFFFFL) << 31 | i;
            }
        }
        keys = Arrays.copyOf(keys, k);
        Arrays.sort(keys);
        List<Integer> kept = new ArrayList<>();
        for (long key : keys) {
            int index = (int) (key & Integer.MAX_VALUE);
            if (!kept.isEmpty()) {
                int last = kept.get(kept.size() - 1);
                if (blockStart(index) < blockStart(last) + span) {
                    int loser = Math.max(index, last);
                    int winner = Math.min(index, last);
                    drop(loser, "BAT entries " + winner + " and " + loser + " point at overlapping blocks (at "
                            + blockStart(winner) + " and " + blockStart(loser) + "); entry " + loser + " is the one"
                            + " dropped", tableAt + 4L * loser);
                    if (loser == last) {
                        kept.set(kept.size() - 1, index);
                    }
                    continue;
                }
            }
            kept.add(index);
        }
        summarizeDropped();
        for (int index : kept) {
            if (index >= needed) {
                add(Severity.WARNING, "Block " + index + " is allocated beyond the virtual size (" + needed
                        + " blocks); nothing reads it", tableAt + 4L * index, Repair.NONE);
            }
        }
        countClusters(kept, needed);
        checkLayout(kept);
        long total = entries.size() + (checkBitmaps ? kept.size() : 0);
        long done = entries.size();
        progress.progress(done, total);
        if (checkBitmaps) {
            for (int index : kept) {
                if (index < needed) {
                    checkBitmap(index, needed);
                }
                progress.progress(++done, total);
            }
        }
    }

    private void drop(int index, String message, long entryAt) {
        dropped.add(index);
        if (dropped.size() <= MAX_LISTED_ENTRIES) {
            add(Severity.CORRUPTION, message, entryAt, Repair.DROP_ENTRY);
        } else if (firstUnlistedAt < 0) {
            firstUnlistedAt = entryAt;
        }
    }

    /** One finding for the bad entries beyond those listed, so that a garbage BAT cannot flood the report. */
    private void summarizeDropped() {
        int unlisted = dropped.size() - MAX_LISTED_ENTRIES;
        if (unlisted > 0) {
            add(Severity.CORRUPTION, unlisted + " more BAT entries are bad in the same ways (not listed one by one)",
                    firstUnlistedAt, Repair.DROP_ENTRY);
        }
    }

    private long blockStart(int index) {
        return Integer.toUnsignedLong(entries.get(index)) << VhdLayout.SECTOR_SHIFT;
    }

    private void countClusters(List<Integer> kept, long needed) {
        int[] sorted = kept.stream().mapToInt(Integer::intValue).filter(i -> i < needed).sorted().toArray();
        allocatedClusters = sorted.length;
        for (int j = 1; j < sorted.length; j++) {
            if (blockStart(sorted[j]) != blockStart(sorted[j - 1]) + span) {
                fragmentedClusters++;
            }
        }
    }

    /** Gaps between blocks and before the footer, and whether the footer sits where it belongs. */
    private void checkLayout(List<Integer> kept) {
        long end = 0;
        for (int j = 0; j < kept.size(); j++) {
            long start = blockStart(kept.get(j));
            if (j > 0 && start > end) {
                long gap = start - end;
                if (gap >= span) {
                    holes.add(new long[] {end, gap});
                    add(Severity.LEAK, gap + " bytes at offset " + end + " between blocks are not used by any block",
                            end, Repair.FILL_HOLE);
                } else {
                    add(Severity.WARNING, gap + " unused bytes at offset " + end + " between blocks, too few to"
                            + " hold a block", end, Repair.NONE);
                }
            }
            end = Math.max(end, start + span);
        }
        if (!trailingValid) {
            return;
        }
        long belongsAt = footerPosition(kept);
        if (trailingAt > belongsAt) {
            add(Severity.LEAK, (trailingAt - belongsAt) + " bytes at offset " + belongsAt + " before the footer"
                    + " are not used by any block", belongsAt, Repair.PLACE_FOOTER);
        } else if (trailingAt < belongsAt) {
            int last = kept.get(kept.size() - 1);
            add(Severity.CORRUPTION, "Block " + last + " (at " + blockStart(last) + ") runs over the footer at "
                    + trailingAt + "; the footer belongs at " + belongsAt, trailingAt, Repair.PLACE_FOOTER);
        }
        if (fileSize % VhdLayout.SECTOR != 0 && fileSize % VhdLayout.SECTOR != VhdFooter.SHORT_SIZE) {
            add(Severity.WARNING, "The file size " + fileSize + " is not a multiple of 512", trailingAt, Repair.NONE);
        }
    }

    /**
     * Where the footer belongs: right after the last block, or after the metadata when no block is
     * allocated (where the present footer stays when less than a block lies before it).
     *
     * @param kept the allocated blocks, sorted by position
     */
    private long footerPosition(List<Integer> kept) {
        if (header == null) {
            return trailingAt;
        }
        long end = VhdLayout.roundUp(metadataEnd, VhdLayout.SECTOR);
        if (kept.isEmpty()) {
            boolean reserve = trailingValid && trailingAt >= end && trailingAt - end < span;
            return reserve ? trailingAt : end;
        }
        long lastEnd = 0;
        for (int index : kept) {
            lastEnd = Math.max(lastEnd, blockStart(index) + span);
        }
        return VhdLayout.roundUp(Math.max(end, lastEnd), VhdLayout.SECTOR);
    }

    /** @return the allocated entries, sorted by position */
    private List<Integer> allocatedByPosition() {
        List<Integer> allocated = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) != BlockAllocationTable.UNALLOCATED) {
                allocated.add(i);
            }
        }
        allocated.sort((a, b) -> Long.compare(blockStart(a), blockStart(b)));
        return allocated;
    }

    /** vhd-util's {@code -b}: sectors whose bit is clear must hold zeros. */
    private void checkBitmap(int index, long needed) throws IOException {
        int bitmapSize = (int) (span - header.blockSizeUnsigned());
        byte[] bits = new byte[bitmapSize];
        long start = blockStart(index);
        file.readFully(ByteBuffer.wrap(bits), start);
        long virtualSize = defaultVirtualSize(goodFooter);
        long blockSize = header.blockSizeUnsigned();
        int sectors = (int) (Math.min(blockSize, virtualSize - index * blockSize) >>> VhdLayout.SECTOR_SHIFT);
        ByteBuffer data = ByteBuffer.allocate((int) Math.min(blockSize, COPY_CHUNK));
        for (int s = 0; s < sectors; ) {
            boolean set = SectorBitmap.isSet(bits, s);
            int runEnd = SectorBitmap.runEnd(bits, s, sectors, set);
            if (!set) {
                for (int at = s; at < runEnd; ) {
                    int n = Math.min(runEnd - at, data.capacity() >>> VhdLayout.SECTOR_SHIFT);
                    data.clear().limit(n << VhdLayout.SECTOR_SHIFT);
                    long position = start + bitmapSize + ((long) at << VhdLayout.SECTOR_SHIFT);
                    file.readFully(data, position);
                    int nonZero = firstNonZero(data.flip());
                    if (nonZero >= 0) {
                        long sector = at + nonZero / VhdLayout.SECTOR;
                        add(Severity.WARNING, "Block " + index + ": sector " + sector + " holds data although its"
                                + " bitmap bit is clear (jblock and libvhdi read zeros there, QEMU reads the data)",
                                start + bitmapSize + sector * VhdLayout.SECTOR, Repair.NONE);
                        return;
                    }
                    at += n;
                }
            }
            s = runEnd;
        }
    }

    // ---- repair ---------------------------------------------------------------------------------

    /**
     * @return whether the repair is asked for and {@link #mode} allows every finding that asks for
     *         it; leaks are reclaimed only on an image without corruption, or under REPAIR_ALL
     */
    private boolean allowed(Repair repair) {
        boolean asked = false;
        for (Item item : items) {
            if (item.repair == repair) {
                if (item.severity == Severity.CORRUPTION && mode != CheckMode.REPAIR_ALL) {
                    return false;
                }
                asked = true;
            }
        }
        boolean corrupt = items.stream().anyMatch(i -> i.severity == Severity.CORRUPTION && !i.repaired);
        return asked && (mode == CheckMode.REPAIR_ALL || !corrupt);
    }

    /** Marks the findings that asked for {@code repair} as repaired, saying what was done. */
    private void markRepaired(Repair repair, String done) {
        for (Item item : items) {
            if (item.repair == repair) {
                item.repaired = true;
                item.done = done;
            }
        }
    }

    private void repair() throws IOException {
        if (allowed(Repair.DROP_ENTRY)) {
            for (int index : dropped) {
                entries.set(index, BlockAllocationTable.UNALLOCATED);
                writeEntry(index);
            }
            file.flush();
            markRepaired(Repair.DROP_ENTRY, "the entry is set to unallocated");
        }
        boolean moved = false;
        if (allowed(Repair.FILL_HOLE)) {
            int moves = fillHoles();
            moved = true;
            markRepaired(Repair.FILL_HOLE, moves + " block(s) moved into the unused space");
        }
        if (allowed(Repair.HEADER_CHECKSUM)) {
            file.write(ByteBuffer.wrap(header.withChecksum().toBytes()), headerAt);
            file.flush();
            markRepaired(Repair.HEADER_CHECKSUM, "checksum rewritten");
        }
        if (allowed(Repair.PLACE_FOOTER) || (moved && trailingValid)) {
            long at = footerPosition(entries == null ? List.of() : allocatedByPosition());
            // The new footer first: until the trim, the file still ends with the old one.
            file.write(ByteBuffer.wrap(goodFooter.toBytes()), at);
            file.flush();
            if (trailingValid && trailingAt < at && header != null) {
                zeroOldFooterInsideABlock();
            }
            file.truncate(at + VhdFooter.SIZE);
            file.flush();
            footerPlacedAt = at;
            imageEnd = at + VhdFooter.SIZE;
            markRepaired(Repair.PLACE_FOOTER, "footer written at " + at + ", file trimmed to " + imageEnd + " bytes");
        }
        if (allowed(Repair.FOOTER_COPY)) {
            file.write(ByteBuffer.wrap(goodFooter.toBytes()), 0);
            file.flush();
            markRepaired(Repair.FOOTER_COPY, "copy rewritten from the footer");
        }
    }

    /**
     * The footer a block ran over is now inside that block's data. Where the bitmap calls those
     * sectors unwritten, they must hold zeros (QEMU reads them regardless of the bitmap); where it
     * calls them written, they are the block's data as any reader sees it, and stay.
     */
    private void zeroOldFooterInsideABlock() throws IOException {
        int bitmapSize = (int) (span - header.blockSizeUnsigned());
        for (int index : allocatedByPosition()) {
            long dataAt = blockStart(index) + bitmapSize;
            long from = Math.max(trailingAt, dataAt);
            long to = Math.min(trailingAt + VhdFooter.SIZE, blockStart(index) + span);
            if (from >= to) {
                continue;
            }
            byte[] bits = new byte[bitmapSize];
            file.readFully(ByteBuffer.wrap(bits), blockStart(index));
            for (long sector = (from - dataAt) >>> VhdLayout.SECTOR_SHIFT; dataAt + sector * VhdLayout.SECTOR < to;
                 sector++) {
                if (!SectorBitmap.isSet(bits, (int) sector)) {
                    file.write(ByteBuffer.allocate(VhdLayout.SECTOR), dataAt + sector * VhdLayout.SECTOR);
                }
            }
            file.flush();
        }
    }

    private void writeEntry(int index) throws IOException {
        ByteBuffer entry = ByteBuffer.allocate(4).putInt(0, entries.get(index));
        file.write(entry, header.tableOffset() + 4L * index);
        changed.put(index, entries.get(index));
    }

    /**
     * Moves the last block into the first hole until no hole is left: each move copies the block
     * (bitmap and data), makes it durable, then points the BAT entry at the copy and makes that
     * durable, so a crash leaves either the old or the new copy referenced and the other leaked.
     */
    private int fillHoles() throws IOException {
        int moves = 0;
        for (long[] hole : holes) {
            for (long at = hole[0]; at + span <= hole[0] + hole[1]; at += span) {
                int last = lastBlock();
                if (last < 0 || blockStart(last) < at) {
                    return moves;
                }
                moves++;
                copy(file, blockStart(last), at, span);
                file.flush();
                entries.set(last, (int) (at >>> VhdLayout.SECTOR_SHIFT));
                writeEntry(last);
                file.flush();
            }
        }
        return moves;
    }

    private int lastBlock() {
        int last = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) != BlockAllocationTable.UNALLOCATED && (last < 0 || blockStart(i) > blockStart(last))) {
                last = i;
            }
        }
        return last;
    }

    /** Copies {@code length} bytes of {@code file} from {@code from} to {@code to} (ranges apart). */
    static void copy(BlockFile file, long from, long to, long length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, COPY_CHUNK));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, buffer.capacity());
            buffer.clear().limit(n);
            file.readFully(buffer, from + done);
            file.write(buffer.flip(), to + done);
            done += n;
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static VhdFooter readFooter(BlockFile file, long at, int length) throws IOException {
        byte[] bytes = new byte[length];
        file.readFully(ByteBuffer.wrap(bytes), at);
        return VhdFooter.decode(bytes);
    }

    private static boolean overlaps(long start, long end, long otherStart, long otherEnd) {
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

    private static int firstNonZero(ByteBuffer data) {
        for (int i = data.position(); i < data.limit(); i++) {
            if (data.get(i) != 0) {
                return i - data.position();
            }
        }
        return -1;
    }

    private static String hex(int value) {
        return "0x" + Integer.toHexString(value);
    }
}
