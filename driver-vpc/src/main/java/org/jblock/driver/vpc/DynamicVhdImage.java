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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
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
 *
 * <h2>Differencing images (disk type 4)</h2>
 * The same layout, with a parent: an unallocated block, and a sector whose bitmap bit is clear,
 * read from the parent ({@link #parent}, opened by the registry, see {@link VhdParent}); the runs
 * that go to the parent are merged across blocks, so a request costs one parent read per run. A
 * write goes into this file only and sets the bits of the sectors it covers; a write that does not
 * cover whole sectors first fills the rest of them from the chain. Zeros are written like any data
 * (skipping them would show the parent's data), and write-zeroes writes zeros wherever the parent
 * does not already read as zeros. The parent covers the virtual disk up to its own size; beyond
 * it the chain reads as zeros.
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
    /** Whether this is a differencing image (disk type 4), whose unallocated sectors are its parent's. */
    private volatile boolean differencing;
    /** The parent of a differencing image, or null when none is open. */
    private volatile BlockImage parent;
    /** The parent's name as the image stores it (the name it was found by), for info. */
    private volatile String parentName;
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
        this.differencing = facts.footer().diskType() == VhdFooter.TYPE_DIFFERENCING;
    }

    /**
     * The driver's logger, created on first use: most opens log nothing, and creating a logger costs
     * a command-line tool start-up time. The tools print its warnings as one line each.
     */
    private static final class Log {
        static final System.Logger LOG = System.getLogger("org.jblock.driver.vpc");
    }

    /**
     * Gives a differencing image its parent, which it owns from now on. What open tolerated about the
     * parent (a timestamp that differs, a UUID mismatch accepted) is a warning.
     */
    void attachParent(VhdParent.Found found) {
        this.parent = found.image();
        this.parentName = found.storedName();
        if (!found.notes().isEmpty()) {
            facts = facts.withNotes(found.notes());
            for (String note : found.notes()) {
                Log.LOG.log(System.Logger.Level.WARNING, name() + ": " + note);
            }
        }
    }

    /** Names the parent of a differencing image opened without its chain. */
    void nameParent(String storedName) {
        this.parentName = storedName;
    }

    boolean isDifferencing() {
        return differencing;
    }

    @Override
    public Optional<BlockImage> backing() {
        return Optional.ofNullable(parent);
    }

    @Override
    protected long doSize() throws IOException {
        return virtualSize;
    }

    // ---- read -----------------------------------------------------------------------------------

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        long at = offset;
        ParentRun pending = differencing ? new ParentRun(dst) : null;
        while (dst.hasRemaining()) {
            int block = (int) (at >>> blockShift);
            int inBlock = (int) (at & (blockSize - 1));
            int n = (int) Math.min(dst.remaining(), blockSize - inBlock);
            int entry = bat.get(block);
            if (entry == BlockAllocationTable.UNALLOCATED) {
                unwritten(dst, n, at, pending);
            } else {
                long data = dataOffset(entry);
                byte[] bits = isFull(block) ? null : bitmapForRead(block, entry);
                if (bits == null) {
                    readFromFile(dst, n, data + inBlock, pending);
                } else {
                    readHonouringBitmap(dst, bits, at, inBlock, n, data, pending);
                }
            }
            at += n;
        }
        if (pending != null) {
            pending.finish();
        }
    }

    private void readHonouringBitmap(ByteBuffer dst, byte[] bits, long at, int inBlock, int n, long data,
                                     ParentRun pending) throws IOException {
        SectorBitmap.forEachRun(bits, inBlock, inBlock + n, (from, to, set) -> {
            if (set) {
                readFromFile(dst, to - from, data + from, pending);
            } else {
                unwritten(dst, to - from, at + (from - inBlock), pending);
            }
        });
    }

    /** Bytes this file does not hold: zeros, or for a differencing image the parent's (read later, merged). */
    private void unwritten(ByteBuffer dst, int n, long at, ParentRun pending) throws IOException {
        if (pending == null) {
            fillZeros(dst, n);
        } else {
            pending.add(at, n);
        }
    }

    private void readFromFile(ByteBuffer dst, int n, long position, ParentRun pending) throws IOException {
        if (pending != null) {
            pending.finish();
        }
        readFromFile(dst, n, position);
    }

    /**
     * The run of a request that goes to the parent, grown while the parent's parts of the request
     * follow each other and read with one request when the child's data interrupts it or the request ends.
     */
    private final class ParentRun {
        private final ByteBuffer dst;
        private long start = -1;
        private int bufferAt;
        private int length;

        ParentRun(ByteBuffer dst) {
            this.dst = dst;
        }

        void add(long at, int n) {
            if (length == 0) {
                start = at;
                bufferAt = dst.position();
            }
            length += n;
            dst.position(dst.position() + n);
        }

        void finish() throws IOException {
            if (length > 0) {
                readParent(start, dst.duplicate().limit(bufferAt + length).position(bufferAt).slice());
                length = 0;
            }
        }
    }

    /** Reads {@code dst.remaining()} bytes of the parent at {@code at}; past the parent's end, zeros. */
    private void readParent(long at, ByteBuffer dst) throws IOException {
        BlockImage p = requireParent();
        long parentSize = p.size();
        int inParent = (int) Math.max(0, Math.min(dst.remaining(), parentSize - at));
        if (inParent > 0) {
            p.read(at, dst.slice().limit(inParent));
            dst.position(dst.position() + inParent);
        }
        fillZeros(dst, dst.remaining());
    }

    private BlockImage requireParent() throws IOException {
        BlockImage p = parent;
        if (p == null) {
            throw new UnsupportedFeatureException(name() + ": the range is in the backing file '" + parentName
                    + "', which is not open (the image was opened without its backing chain)");
        }
        return p;
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
        if (differencing && ((offset | src.remaining()) & (VhdLayout.SECTOR - 1)) != 0) {
            writeWholeSectors(offset, src);
            return;
        }
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
            // A differencing image stores zeros too: skipping them would show the parent's data.
            if (!bat.isAllocated(block) && (differencing || !isZero(src.duplicate().position(position), n))) {
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

    /**
     * A write into a differencing image that starts or ends inside a sector: the sector bitmap counts
     * whole sectors, so the rest of the first and last sector is read from the chain first.
     */
    private void writeWholeSectors(long offset, ByteBuffer src) throws IOException {
        long start = offset & -VhdLayout.SECTOR;
        long end = VhdLayout.roundUp(offset + src.remaining(), VhdLayout.SECTOR);
        ByteBuffer whole = ByteBuffer.allocate(Math.toIntExact(end - start));
        doRead(start, whole.duplicate().limit(VhdLayout.SECTOR));
        doRead(end - VhdLayout.SECTOR, whole.duplicate().position(whole.capacity() - VhdLayout.SECTOR));
        whole.position((int) (offset - start));
        whole.put(src);
        doWrite(start, whole.clear());
    }

    /**
     * Zeroes only allocated blocks: unallocated ones already read as zeros and stay unallocated. In a
     * differencing image an unallocated block reads as the parent, so zeros are written there unless
     * the parent reads as zeros too.
     */
    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        long at = offset;
        long end = offset + length;
        while (at < end) {
            int n = (int) Math.min(end - at, blockSize - (at & (blockSize - 1)));
            if (zeroesNeedBytes(at, n)) {
                for (int done = 0; done < n; ) {
                    int k = Math.min(n - done, ZEROS.length);
                    doWrite(at + done, ZERO_BUFFER.duplicate().limit(k));
                    done += k;
                }
            }
            at += n;
        }
    }

    /** Cheap where {@link #doWriteZeroes} writes nothing: no block of the range is allocated (nor reads a parent's data). */
    @Override
    protected boolean doZeroesCheaply(long offset, long length) throws IOException {
        long end = offset + length;
        for (long at = offset; at < end; ) {
            int n = (int) Math.min(end - at, blockSize - (at & (blockSize - 1)));
            if (zeroesNeedBytes(at, n)) {
                return false;
            }
            at += n;
        }
        return true;
    }

    /** @return whether zeroing {@code n} bytes at {@code at}, within one block, writes zero bytes */
    private boolean zeroesNeedBytes(long at, int n) throws IOException {
        return bat.isAllocated((int) (at >>> blockShift)) || (differencing && !parentReadsZeros(at, n));
    }

    private boolean parentReadsZeros(long at, long n) throws IOException {
        BlockImage p = requireParent();
        long inParent = Math.min(n, p.size() - at);
        return inParent <= 0 || p.blockStatus(at, inParent).stream().allMatch(Extent::zero);
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
                // A differencing image's bits are set only once the data is written (recordWritten):
                // a set bit over unwritten data would read zeros where the parent has data.
                if (!differencing) {
                    SectorBitmap.set(bits, b[1] >>> VhdLayout.SECTOR_SHIFT,
                            (int) VhdLayout.ceilDiv(b[1] + (long) b[2], VhdLayout.SECTOR));
                }
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
    /** The VHD file: a data extent's host offset is where its sectors lie in their block. */
    @Override
    public Optional<BlockFile> hostStorage() {
        return Optional.of(file());
    }

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
            if (entry == BlockAllocationTable.UNALLOCATED && differencing) {
                parentStatus(extents, at, n);
            } else if (entry == BlockAllocationTable.UNALLOCATED) {
                if (zeroStart < 0) {
                    zeroStart = at;
                }
            } else {
                if (zeroStart >= 0) {
                    extents.add(Extent.zero(zeroStart, at - zeroStart, true));
                    zeroStart = -1;
                }
                addAllocatedExtents(extents, block, entry, at, inBlock, n);
            }
            at += n;
        }
        if (zeroStart >= 0) {
            extents.add(Extent.zero(zeroStart, end - zeroStart, true));
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
            if (set) {
                extents.add(Extent.data(start, to - from, data + from));
            } else if (differencing) {
                parentStatus(extents, start, to - from);
            } else {
                extents.add(Extent.zero(start, to - from, true));
            }
        });
    }

    /**
     * The parent's runs, one layer down; past the parent's end, zeros at the parent's depth. Without
     * an open parent the runs are neither data nor zero: their content is the parent's, unknown here.
     */
    private void parentStatus(List<Extent> extents, long at, long n) throws IOException {
        BlockImage p = parent;
        if (p == null) {
            extents.add(new Extent(at, n, false, false, false, java.util.OptionalLong.empty(), 1));
            return;
        }
        extents.addAll(Extent.fromBacking(p, at, n));
    }


    @Override
    protected ImageInfo doInfo() {
        Map<String, Object> fields = new LinkedHashMap<>();
        VhdInfo.addFooterFields(fields, facts);
        fields.put("block-size", (long) blockSize);
        fields.put("max-table-entries", header.maxTableEntriesUnsigned());
        fields.put("allocated-blocks", (long) bat.allocatedCount());
        if (!differencing) {
            return new ImageInfo(format(), virtualSize, blockSize, fields);
        }
        fields.put("parent-uuid", header.parentUniqueId().toString());
        fields.put("parent-name", header.parentNameText());
        if (header.parentTimestamp() != 0) {
            fields.put("parent-timestamp", VhdParent.timestampText(header.parentTimestamp()));
        }
        BlockImage p = parent;
        String format = null;
        String resolved = parentName;
        if (p != null) {
            try {
                format = p.info().format();
            } catch (IOException e) {
                format = null;
            }
            resolved = p.name();
        }
        return new ImageInfo(format(), virtualSize, blockSize, fields,
                Optional.of(new ImageInfo.Backing(parentName, resolved, format)));
    }

    @Override
    protected void doClose() throws IOException {
        BlockImage p = parent;
        if (p != null) {
            p.close();
        }
    }

    /**
     * Empties a differencing image: every BAT entry is made unallocated and written (one write per
     * BAT sector; at any moment each block reads either its old data or the parent's), then the
     * blocks' space is given back: the footer is written after the last metadata, and the file cut there.
     */
    @Override
    protected void doMakeEmpty() throws IOException {
        if (!differencing) {
            super.doMakeEmpty();
        }
        metadataLock.lock();
        try {
            doFlush();
            BitSet sectors = new BitSet();
            for (int i = 0; i < bat.size(); i++) {
                if (bat.isAllocated(i)) {
                    bat.set(i, BlockAllocationTable.UNALLOCATED);
                    sectors.set(i / ENTRIES_PER_SECTOR);
                }
            }
            writeBatSectors(sectors);
            file().flush();
            Arrays.fill(fullBlocks, 0);
            for (int i = 0; i < bitmapCache.length(); i++) {
                bitmapCache.set(i, null);
            }
            long end = VhdLayout.roundUp(metadataEnd(), VhdLayout.SECTOR);
            if (end < appendAt) {
                file().write(ByteBuffer.wrap(footerBytes), end);
                file().flush();
                file().truncate(end + VhdFooter.SIZE);
                file().flush();
                appendAt = end;
                facts = facts.withFooter(facts.footer(), end);
            }
        } finally {
            metadataLock.unlock();
        }
    }

    /**
     * Re-points a differencing image, crash-safely:
     * <ul>
     *   <li>at another parent: the new locators' data is appended as a block is (the footer first at
     *       the new end, then the data where the footer was), then the dynamic header, with the new
     *       parent's UUID, timestamp, name and locators, is rewritten in one write. Until then the old
     *       header and its locators are intact; the old locators' space is left unused.</li>
     *   <li>at no parent (the caller has copied the parent's data first): the footer, at the end and
     *       then its copy at offset 0, says "dynamic" (the footer at the end is the one readers take),
     *       then the header's parent fields are cleared.</li>
     * </ul>
     */
    @Override
    protected void doChangeBacking(BackingImage backing) throws IOException {
        if (!differencing) {
            throw new UnsupportedFeatureException(name() + ": a " + facts.footer().diskTypeName()
                    + " VHD has no backing file; only a differencing image can change it");
        }
        metadataLock.lock();
        try {
            doFlush();
            long headerAt = facts.footer().dataOffset();
            BlockImage old = parent;
            if (backing == null) {
                VhdFooter footer = facts.footer();
                VhdFooter dynamic = new VhdFooter(footer.cookie(), footer.features(), footer.formatVersion(),
                        footer.dataOffset(), footer.timestamp(), footer.creatorApp(), footer.creatorVersion(),
                        footer.creatorOs(), footer.originalSize(), footer.currentSize(), footer.geometry(),
                        VhdFooter.TYPE_DYNAMIC, 0, footer.uniqueId(), footer.savedState(), footer.reserved())
                        .withChecksum();
                byte[] bytes = dynamic.toBytes();
                file().write(ByteBuffer.wrap(bytes), appendAt);
                file().flush();
                file().write(ByteBuffer.wrap(bytes), 0);
                file().flush();
                List<DynamicHeader.ParentLocator> none = new ArrayList<>();
                for (int i = 0; i < header.parentLocators().size(); i++) {
                    none.add(new DynamicHeader.ParentLocator(0, 0, 0, 0, 0));
                }
                DynamicHeader alone = new VhdParent.Identity(VhdParent.NIL, 0, new byte[0]).in(header, none);
                file().write(ByteBuffer.wrap(alone.toBytes()), headerAt);
                file().flush();
                header = alone;
                footerBytes = bytes;
                facts = facts.withFooter(dynamic, appendAt);
                parent = null;
                parentName = null;
                differencing = false;
            } else {
                VhdParent.Identity identity = VhdParent.Identity.of(backing);
                VhdParent.Locators locators = VhdParent.locators(file().location(), backing.location(), appendAt);
                long newEnd = appendAt + locators.data().length;
                file().write(ByteBuffer.wrap(footerBytes), newEnd);
                file().write(ByteBuffer.wrap(locators.data()), appendAt);
                file().flush();
                DynamicHeader repointed = identity.in(header, locators.entries());
                file().write(ByteBuffer.wrap(repointed.toBytes()), headerAt);
                file().flush();
                header = repointed;
                appendAt = newEnd;
                facts = facts.withFooter(facts.footer(), newEnd);
                parent = backing.image();
                parentName = VhdParent.relativeName(file().location(), backing.location());
            }
            if (old != null) {
                old.close();
            }
        } finally {
            metadataLock.unlock();
        }
    }

    /** @return the end of the footer copy, the header, the BAT and the parent locators' data */
    private long metadataEnd() throws IOException {
        return Math.max(Math.max(VhdLayout.HEADER_OFFSET + DynamicHeader.SIZE,
                header.tableOffset() + VhdLayout.batBytesOnDisk(bat.size())),
                VhdParent.locatorsEnd(header, file().size()));
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
            if (!differencing) {
                return outcome.report();
            }
            return VhdChainCheck.addTo(outcome.report(), new VhdChainCheck.Child(file(), header, bat, virtualSize,
                    blockSize, bitmapSize, parent, parentName));
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
        if (differencing) {
            // Growing the table would move blocks over the parent locators' data, which follows it.
            throw new UnsupportedFeatureException(name() + ": resizing a differencing image is not supported");
        }
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

    /** The dynamic header in use. */
    DynamicHeader header() {
        return header;
    }

    /** The block allocation table in use (for tests, and for check to build on). */
    BlockAllocationTable bat() {
        return bat;
    }
}
