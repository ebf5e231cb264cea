package org.jblock.driver.vpc;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.ProgressListener;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * An open dynamic VHD: footer copy, dynamic header, BAT, blocks (each a sector bitmap and data),
 * footer.
 *
 * <h2>Reads</h2>
 * A request is split at block boundaries. An unallocated block reads as zeros. In an allocated block
 * the sector bitmap decides: runs of set bits are read with one {@link BlockFile} call each, runs of
 * clear bits are zero-filled. A block whose bitmap is all ones (every block QEMU writes, every block
 * we have written whole) is remembered as "full" in a bit set, and is then read in one call without
 * looking at its bitmap again. Other bitmaps sit in a small direct-mapped cache. Readers take no lock
 * except on a cache miss of a partly written block.
 *
 * <h2>Writes and the order of metadata writes</h2>
 * Data goes straight to its place in an allocated block. A write into an unallocated block that is
 * all zeros is dropped (the block already reads as zeros). Otherwise the blocks a request needs are
 * allocated together under {@link #metadataLock} at {@code appendAt}, the old position of the
 * footer, in this order:
 * <ol>
 *   <li>the footer is written at the new end of the file (after the new blocks): the file now ends
 *       with a valid footer, the old one is still intact, and the new blocks' space is a hole that
 *       reads as zeros;</li>
 *   <li>each block's sector bitmap is written (the first over the old footer), with the bits of the
 *       sectors this write covers set; then a flush (a barrier: footer and bitmaps are durable);</li>
 *   <li>the BAT entries are written, then a flush: the blocks are now part of the image;</li>
 *   <li>only then is the data written, outside the lock.</li>
 * </ol>
 * <b>Why data comes last: no stale data after a crash.</b> Space that no BAT entry refers to is
 * where the next allocator puts a block — QEMU puts it right after the last referenced block, over
 * whatever lies there, and its never-written sectors then show what was on disk. So data must never
 * sit in space that a crash can leave unreferenced. With this order a crash before step 3 leaves
 * the new space holding zeros, a bitmap sector (which every allocator overwrites) and at most the
 * old footer (which lands in the next block's bitmap sector, or past the next block); a crash after
 * step 3 leaves a referenced block whose unwritten sectors read zeros. Every reader, jblock or QEMU,
 * sees in every sector either what was written there or zeros. The cost is two flushes per
 * allocating request (QEMU makes three synchronous writes per block).
 *
 * <p>A crash between any two writes therefore leaves a file that ends with a valid footer (or, after
 * step 2 of an allocation whose footer write was lost, a valid footer copy at offset 0) and whose
 * on-disk BAT points only at blocks whose bitmap is on disk: the image opens, holds every byte flushed
 * before the crash, and at worst leaks the space of an allocation that never reached its BAT entry
 * (zeros, which {@code check -r leaks} gives back).
 *
 * <p>Writes into an allocated block whose bitmap is not full set the bits of exactly the sectors
 * written, under the lock, after the data write. The changed bitmap is kept in memory and written
 * back by the next flush (before its barrier), or earlier when too many are waiting; until then a
 * crash loses only the bits of writes that were never flushed, which then read as zeros. The
 * cached bitmap is replaced, never changed in place, so lock-free readers see a consistent one.
 */
final class DynamicVhdImage extends AbstractBlockImage {
    private static final byte[] ZEROS = new byte[64 * 1024];
    private static final ByteBuffer ZERO_BUFFER = ByteBuffer.wrap(ZEROS).asReadOnlyBuffer();
    private static final VarHandle FULL_BITS = MethodHandles.arrayElementVarHandle(long[].class);
    /** BAT entries in one 512-byte sector of the on-disk table. */
    private static final int ENTRIES_PER_SECTOR = VhdLayout.SECTOR / 4;
    /** Bytes of bitmaps the cache may hold. */
    private static final int CACHE_BYTES = 4 << 20;
    /** With 2 MiB blocks: the bitmaps of 16 GiB of partly written disk. */
    private static final int MAX_CACHE_SLOTS = 8192;

    private volatile VhdFacts facts;
    private volatile DynamicHeader header;
    private volatile BlockAllocationTable bat;
    private volatile long virtualSize;
    private final int blockSize;
    private final int blockShift;
    private final int bitmapSize;
    private final int sectorsPerBlock;
    private volatile byte[] footerBytes;
    /** One bit a block: its bitmap is known to be all ones. Replaced (not changed) by resize. */
    private volatile long[] fullBlocks;
    private final AtomicReferenceArray<CachedBitmap> bitmapCache;
    /** Whether check also reads the sectors whose bitmap bit is clear (open option check_bitmaps). */
    private volatile boolean checkBitmaps;

    /** Serializes allocation, bitmap updates, cache loads and the BAT write-back. */
    private final ReentrantLock metadataLock = new ReentrantLock();
    /** Where the next block goes: the footer's position at the end of the file. Guarded by the lock. */
    private long appendAt;
    /**
     * Bitmaps of allocated blocks changed in memory and not yet written, by block; at most
     * {@link #cacheSlots} of them, then they are all written. Guarded by the lock.
     */
    private final Map<Integer, byte[]> dirtyBitmaps = new HashMap<>();
    private final int cacheSlots;

    /** A block's bitmap; never changed once published. */
    private record CachedBitmap(int block, byte[] bits) {
    }

    DynamicVhdImage(BlockFile file, boolean readOnly, VhdFacts facts, DynamicHeader header,
                    BlockAllocationTable bat, long appendAt) {
        super("vpc", file, readOnly);
        this.facts = facts;
        this.header = header;
        this.bat = bat;
        this.virtualSize = facts.virtualSize();
        this.blockSize = header.blockSize();
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.bitmapSize = DynamicHeader.bitmapSize(blockSize);
        this.sectorsPerBlock = blockSize >>> VhdLayout.SECTOR_SHIFT;
        this.footerBytes = facts.footer().toBytes();
        int blockCount = (int) VhdLayout.ceilDiv(virtualSize, blockSize);
        this.fullBlocks = new long[(blockCount + 63) >>> 6];
        int slots = Math.max(4, Math.min(MAX_CACHE_SLOTS, CACHE_BYTES / bitmapSize));
        this.bitmapCache = new AtomicReferenceArray<>(slots);
        this.cacheSlots = slots;
        this.appendAt = appendAt;
    }

    @Override
    protected long doSize() throws IOException {
        return virtualSize;
    }

    // ---- read -----------------------------------------------------------------------------------

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        long at = offset;
        while (dst.hasRemaining()) {
            int block = (int) (at >>> blockShift);
            int inBlock = (int) (at & (blockSize - 1));
            int n = (int) Math.min(dst.remaining(), blockSize - inBlock);
            int entry = bat.get(block);
            if (entry == BlockAllocationTable.UNALLOCATED) {
                fillZeros(dst, n);
            } else {
                long data = dataOffset(entry);
                byte[] bits = isFull(block) ? null : bitmapForRead(block, entry);
                if (bits == null) {
                    readFromFile(dst, n, data + inBlock);
                } else {
                    readHonouringBitmap(dst, bits, inBlock, n, data);
                }
            }
            at += n;
        }
    }

    private void readHonouringBitmap(ByteBuffer dst, byte[] bits, int inBlock, int n, long data) throws IOException {
        SectorBitmap.forEachRun(bits, inBlock, inBlock + n, (from, to, set) -> {
            if (set) {
                readFromFile(dst, to - from, data + from);
            } else {
                fillZeros(dst, to - from);
            }
        });
    }

    private void readFromFile(ByteBuffer dst, int n, long position) throws IOException {
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            file().readFully(dst, position);
        } finally {
            dst.limit(limit);
        }
    }

    private static void fillZeros(ByteBuffer dst, int n) {
        for (int left = n; left > 0; ) {
            int k = Math.min(left, ZEROS.length);
            dst.put(ZEROS, 0, k);
            left -= k;
        }
    }

    // ---- write ----------------------------------------------------------------------------------

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        allocateFor(offset, src);
        long at = offset;
        while (src.hasRemaining()) {
            int block = (int) (at >>> blockShift);
            int inBlock = (int) (at & (blockSize - 1));
            int n = (int) Math.min(src.remaining(), blockSize - inBlock);
            int entry = bat.get(block);
            if (entry == BlockAllocationTable.UNALLOCATED) {
                // All zeros (allocateFor allocated every other chunk): the block already reads as zeros.
                src.position(src.position() + n);
                at += n;
                continue;
            }
            writeToFile(src, n, dataOffset(entry) + inBlock);
            if (!isFull(block)) {
                recordWritten(block, entry, inBlock, n);
            }
            at += n;
        }
    }

    /**
     * Allocates, in one go (see the class comment for the order of writes), the unallocated blocks
     * into which {@code src} at {@code offset} writes something other than zeros.
     */
    private void allocateFor(long offset, ByteBuffer src) throws IOException {
        List<int[]> needed = null;
        long at = offset;
        int position = src.position();
        while (position < src.limit()) {
            int block = (int) (at >>> blockShift);
            int inBlock = (int) (at & (blockSize - 1));
            int n = (int) Math.min(src.limit() - position, blockSize - inBlock);
            if (!bat.isAllocated(block) && !isZero(src.duplicate().position(position), n)) {
                if (needed == null) {
                    needed = new ArrayList<>();
                }
                needed.add(new int[] {block, inBlock, n});
            }
            position += n;
            at += n;
        }
        if (needed != null) {
            allocate(needed);
        }
    }
    /** Zeroes only allocated blocks: unallocated ones already read as zeros and stay unallocated. */
    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        long at = offset;
        long end = offset + length;
        while (at < end) {
            int block = (int) (at >>> blockShift);
            int n = (int) Math.min(end - at, blockSize - (at & (blockSize - 1)));
            if (bat.isAllocated(block)) {
                for (int done = 0; done < n; ) {
                    int k = Math.min(n - done, ZEROS.length);
                    doWrite(at + done, ZERO_BUFFER.duplicate().limit(k));
                    done += k;
                }
            }
            at += n;
        }
    }

    private void writeToFile(ByteBuffer src, int n, long position) throws IOException {
        int limit = src.limit();
        src.limit(src.position() + n);
        try {
            file().write(src, position);
        } finally {
            src.limit(limit);
        }
    }

    private static boolean isZero(ByteBuffer src, int n) {
        int start = src.position();
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, ZEROS.length);
            ByteBuffer part = src.duplicate().position(start + done).limit(start + done + k);
            if (part.mismatch(ZERO_BUFFER.duplicate().limit(k)) >= 0) {
                return false;
            }
            done += k;
        }
        return true;
    }

    /**
     * Appends blocks (see the class comment for the order of writes); a block another writer
     * allocated meanwhile is left as it is.
     *
     * @param blocks {block, first byte written in it, bytes written}
     */
    private void allocate(List<int[]> blocks) throws IOException {
        metadataLock.lock();
        try {
            List<int[]> fresh = new ArrayList<>();
            for (int[] b : blocks) {
                if (!bat.isAllocated(b[0])) {
                    fresh.add(b);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            long first = appendAt;
            long span = (long) bitmapSize + blockSize;
            long newEnd = first + span * fresh.size();
            if (((newEnd - span) >>> VhdLayout.SECTOR_SHIFT) > VhdLayout.MAX_BAT_SECTOR) {
                throw new UnsupportedFeatureException(name() + ": the image file would grow past 2 TiB,"
                        + " the most a VHD block allocation table can address");
            }
            file().write(ByteBuffer.wrap(footerBytes), newEnd);
            byte[][] bitmaps = new byte[fresh.size()][];
            for (int k = 0; k < fresh.size(); k++) {
                int[] b = fresh.get(k);
                byte[] bits = new byte[bitmapSize];
                SectorBitmap.set(bits, b[1] >>> VhdLayout.SECTOR_SHIFT,
                        (int) VhdLayout.ceilDiv(b[1] + (long) b[2], VhdLayout.SECTOR));
                file().write(ByteBuffer.wrap(bits), first + span * k);
                bitmaps[k] = bits;
            }
            file().flush();
            appendAt = newEnd;
            BitSet sectors = new BitSet();
            for (int k = 0; k < fresh.size(); k++) {
                int block = fresh.get(k)[0];
                bat.set(block, (int) ((first + span * k) >>> VhdLayout.SECTOR_SHIFT));
                sectors.set(block / ENTRIES_PER_SECTOR);
            }
            writeBatSectors(sectors);
            file().flush();
            for (int k = 0; k < fresh.size(); k++) {
                publishBitmap(fresh.get(k)[0], bitmaps[k]);
            }
        } finally {
            metadataLock.unlock();
        }
    }

    /** Sets the bitmap bits of sectors written in an allocated block; the bitmap is written back at flush. */
    private void recordWritten(int block, int entry, int inBlock, int n) throws IOException {
        int first = inBlock >>> VhdLayout.SECTOR_SHIFT;
        int end = (int) VhdLayout.ceilDiv(inBlock + (long) n, VhdLayout.SECTOR);
        CachedBitmap cached = bitmapCache.get(slot(block));
        if (cached != null && cached.block == block && SectorBitmap.allSet(cached.bits, first, end)) {
            return;
        }
        metadataLock.lock();
        try {
            byte[] bits = loadBitmap(block, entry);
            if (bits == null || SectorBitmap.allSet(bits, first, end)) {
                return;
            }
            byte[] updated = bits.clone();
            SectorBitmap.set(updated, first, end);
            dirtyBitmaps.put(block, updated);
            publishBitmap(block, updated);
            if (dirtyBitmaps.size() >= cacheSlots) {
                writeDirtyBitmaps();
            }
        } finally {
            metadataLock.unlock();
        }
    }

    // ---- bitmaps --------------------------------------------------------------------------------

    /** @return the block's bitmap, or null when every bit is set */
    private byte[] bitmapForRead(int block, int entry) throws IOException {
        CachedBitmap cached = bitmapCache.get(slot(block));
        if (cached != null && cached.block == block) {
            return cached.bits;
        }
        metadataLock.lock();
        try {
            return loadBitmap(block, entry);
        } finally {
            metadataLock.unlock();
        }
    }

    /**
     * Loads under the lock, so that a load never overwrites a newer bitmap a writer published.
     *
     * @return the block's bitmap, or null when every bit is set
     */
    private byte[] loadBitmap(int block, int entry) throws IOException {
        if (isFull(block)) {
            return null;
        }
        CachedBitmap cached = bitmapCache.get(slot(block));
        if (cached != null && cached.block == block) {
            return cached.bits;
        }
        byte[] bits = dirtyBitmaps.get(block);
        if (bits == null) {
            bits = new byte[bitmapSize];
            file().readFully(ByteBuffer.wrap(bits), blockOffsetOf(entry));
        }
        return publishBitmap(block, bits);
    }

    /** @return {@code bits}, or null when they are all set (the block is then marked full) */
    private byte[] publishBitmap(int block, byte[] bits) {
        if (SectorBitmap.allSet(bits, 0, sectorsIn(block))) {
            FULL_BITS.getAndBitwiseOrRelease(fullBlocks, block >>> 6, 1L << block);
            CachedBitmap cached = bitmapCache.get(slot(block));
            if (cached != null && cached.block == block) {
                bitmapCache.set(slot(block), null);
            }
            return null;
        }
        bitmapCache.set(slot(block), new CachedBitmap(block, bits));
        return bits;
    }

    private boolean isFull(int block) {
        return ((long) FULL_BITS.getAcquire(fullBlocks, block >>> 6) & (1L << block)) != 0;
    }

    /** @return the sectors of {@code block} inside the virtual disk (fewer for a last, partial block) */
    private int sectorsIn(int block) {
        long left = (virtualSize - ((long) block << blockShift)) >>> VhdLayout.SECTOR_SHIFT;
        return (int) Math.min(sectorsPerBlock, left);
    }

    private int slot(int block) {
        return block % bitmapCache.length();
    }

    private long blockOffsetOf(int entry) {
        return Integer.toUnsignedLong(entry) << VhdLayout.SECTOR_SHIFT;
    }

    private long dataOffset(int entry) {
        return blockOffsetOf(entry) + bitmapSize;
    }

    // ---- flush, status, info --------------------------------------------------------------------

    @Override
    protected void doFlush() throws IOException {
        metadataLock.lock();
        try {
            writeDirtyBitmaps();
            file().flush();
        } finally {
            metadataLock.unlock();
        }
    }

    /** Writes the bitmaps changed since the last write-back, and forgets them once written. */
    private void writeDirtyBitmaps() throws IOException {
        for (Iterator<Map.Entry<Integer, byte[]>> it = dirtyBitmaps.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, byte[]> dirty = it.next();
            file().write(ByteBuffer.wrap(dirty.getValue()), bat.blockOffset(dirty.getKey()));
            it.remove();
        }
    }

    /** Writes the BAT sectors marked in {@code sectors} from the table in memory. */
    private void writeBatSectors(BitSet sectors) throws IOException {
        for (int s = sectors.nextSetBit(0); s >= 0; ) {
            int e = sectors.nextClearBit(s);
            int from = s * ENTRIES_PER_SECTOR;
            int to = (int) Math.min((long) e * ENTRIES_PER_SECTOR, bat.size());
            ByteBuffer out = ByteBuffer.allocate((to - from) * 4);
            bat.encode(out, from, to);
            file().write(out.flip(), header.tableOffset() + 4L * from);
            s = sectors.nextSetBit(e);
        }
    }

    /**
     * Allocated sectors are data at their host offset; sectors whose bitmap bit is clear read as zeros
     * and are described by this image (allocated, no data); unallocated runs are zero and not
     * allocated.
     */
    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        List<Extent> extents = new ArrayList<>();
        long at = offset;
        long end = offset + length;
        long zeroStart = -1;
        while (at < end) {
            int block = (int) (at >>> blockShift);
            int inBlock = (int) (at & (blockSize - 1));
            int n = (int) Math.min(end - at, blockSize - inBlock);
            int entry = bat.get(block);
            if (entry == BlockAllocationTable.UNALLOCATED) {
                if (zeroStart < 0) {
                    zeroStart = at;
                }
            } else {
                if (zeroStart >= 0) {
                    extents.add(Extent.zero(zeroStart, at - zeroStart, false));
                    zeroStart = -1;
                }
                addAllocatedExtents(extents, block, entry, at, inBlock, n);
            }
            at += n;
        }
        if (zeroStart >= 0) {
            extents.add(Extent.zero(zeroStart, end - zeroStart, false));
        }
        return extents;
    }

    private void addAllocatedExtents(List<Extent> extents, int block, int entry, long at, int inBlock, int n)
            throws IOException {
        long data = dataOffset(entry);
        byte[] bits = isFull(block) ? null : bitmapForRead(block, entry);
        if (bits == null) {
            extents.add(Extent.data(at, n, data + inBlock));
            return;
        }
        SectorBitmap.forEachRun(bits, inBlock, inBlock + n, (from, to, set) -> {
            long start = at + (from - inBlock);
            extents.add(set ? Extent.data(start, to - from, data + from) : Extent.zero(start, to - from, true));
        });
    }


    @Override
    protected ImageInfo doInfo() {
        Map<String, Object> fields = new LinkedHashMap<>();
        VhdInfo.addFooterFields(fields, facts);
        fields.put("block-size", (long) blockSize);
        fields.put("max-table-entries", header.maxTableEntriesUnsigned());
        fields.put("allocated-blocks", (long) bat.allocatedCount());
        return new ImageInfo(format(), virtualSize, blockSize, fields);
    }

    // ---- check and resize (see VhdChecker and DynamicResizer) ------------------------------------

    void checkBitmaps() {
        checkBitmaps = true;
    }

    /**
     * Checks from the file, with the BAT written back first and allocation held off meanwhile; after a
     * repair the image takes its state from a new scan of the file (the one model), not from the
     * repair's bookkeeping.
     */
    @Override
    protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
        metadataLock.lock();
        try {
            if (!isReadOnly()) {
                doFlush();
            }
            VhdChecker.Outcome outcome = VhdChecker.check(file(), mode, checkBitmaps, progress, facts.sizeMode());
            if (outcome.changed()) {
                adopt(VhdScanner.scan(file(), facts.sizeMode()));
            }
            return outcome.report();
        } finally {
            metadataLock.unlock();
        }
    }

    /** Takes the metadata of a sound scan (after a repair) as this image's own. */
    private void adopt(VhdScan scan) {
        if (scan.refusal() != null || scan.header == null) {
            return;
        }
        bat = scan.bat;
        header = scan.header;
        footerBytes = scan.footer.toBytes();
        appendAt = scan.appendAt;
        facts = VhdFacts.of(scan, facts.salvaged(), facts.notes());
        fullBlocks = new long[fullBlocks.length];
        for (int i = 0; i < bitmapCache.length(); i++) {
            bitmapCache.set(i, null);
        }
    }

    /**
     * Blocks may move (see {@link DynamicResizer}); the base class holds reads and writes of this
     * image off meanwhile.
     */
    @Override
    protected void doResize(long newSize) throws IOException {
        metadataLock.lock();
        try {
            doFlush();
            DynamicResizer.Result result = new DynamicResizer(file(), name(), facts.footer(), header, bat, appendAt,
                    virtualSize).resize(newSize);
            int oldLastBlock = (int) ((virtualSize - 1) >>> blockShift);
            boolean lastBlockGrows = newSize > virtualSize && (virtualSize & (blockSize - 1)) != 0;
            int newCount = (int) VhdLayout.ceilDiv(newSize, blockSize);
            long[] full = Arrays.copyOf(fullBlocks, (newCount + 63) >>> 6);
            if (lastBlockGrows) {
                // Its bitmap was "full" for fewer sectors: look at it again before trusting it.
                full[oldLastBlock >>> 6] &= ~(1L << oldLastBlock);
                bitmapCache.set(slot(oldLastBlock), null);
            }
            fullBlocks = full;
            bat = result.bat();
            header = result.header();
            footerBytes = result.footer().toBytes();
            appendAt = result.footerOffset();
            facts = facts.resized(result.footer(), result.footerOffset(), newSize);
            virtualSize = newSize;
        } finally {
            metadataLock.unlock();
        }
    }

    /** The block allocation table in use (for tests, and for check to build on). */
    BlockAllocationTable bat() {
        return bat;
    }
}
