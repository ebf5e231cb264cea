package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongUnaryOperator;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CorruptImageException;
import org.jblock.api.Extent;
import org.jblock.api.ImageInfo;
import org.jblock.api.ProgressListener;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.support.AbstractBlockImage;

/**
 * An open qcow2 image: a two-level table (L1 in memory, L2 tables read on demand and cached) maps
 * each guest cluster to a host cluster, a compressed run, zeros (version 3) or nothing (the backing
 * image's content, or zeros).
 *
 * <h2>Writes and crash safety</h2>
 * A write that needs new clusters (a cluster not yet allocated, a zero or compressed cluster, a new
 * L2 table) takes them from {@link Refcounts#allocate} at the end of the file and writes the new
 * refcounts and the data at once (a partial cluster completed with what the cluster read before: the
 * backing image's data, zeros, the decompressed cluster). The L2 and L1 changes stay in memory, as
 * QEMU's metadata caches keep them, until a flush (or {@value #MAX_DIRTY_TABLES} changed tables)
 * writes them back ({@link #writeBack}) in this order:
 * <ol>
 *   <li>a flush: the refcounts of the new clusters and the data are durable;</li>
 *   <li>the changed L2 tables (a new one whole), then a flush;</li>
 *   <li>the L1 entries that name new L2 tables, then a flush;</li>
 *   <li>only then the refcounts of clusters no longer referenced (a compressed cluster rewritten, a
 *       cluster discarded).</li>
 * </ol>
 * A crash between any two writes leaves an image that reads each cluster as before or as written,
 * with at worst clusters that have a refcount and no reference (leaks, which {@code check -r leaks}
 * gives back). Allocation never reuses freed space, so a leaked cluster never shows old data. Writes
 * to clusters already allocated go in place. Reads run in parallel; metadata changes run one at a time.
 */
final class Qcow2Image extends AbstractBlockImage {
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO_FLAG = 1L;

    enum Kind { UNALLOCATED, ZERO, ZERO_ALLOC, NORMAL, COMPRESSED }

    /** Bytes of guest data one write request handles at a time (bounds the buffers a write needs). */
    private static final int WRITE_CHUNK = 4 << 20;
    private static final int L2_CACHE_TABLES = 256;

    private volatile Qcow2Header header;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Bits;
    private final long[] l1;
    private long[] l1Grown;
    private final Refcounts refcounts;
    private final ReentrantReadWriteLock metadata = new ReentrantReadWriteLock();
    private final Map<Long, long[]> l2Cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> eldest) {
            return size() > L2_CACHE_TABLES;
        }
    };
    private volatile BlockImage backing;
    /** The backing file's name when the image was opened without its chain: its ranges cannot be read. */
    private volatile boolean backingUnopened;

    Qcow2Image(BlockFile file, boolean readOnly, Qcow2Header header) throws IOException {
        super("qcow2", file, readOnly);
        this.header = header;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.l2Bits = clusterBits - 3;
        ByteBuffer raw = ByteBuffer.allocate(header.l1Size() * 8);
        file.readFully(raw, header.l1TableOffset());
        long[] table = new long[header.l1Size()];
        long fileSize = file.size();
        for (int i = 0; i < table.length; i++) {
            long entry = raw.getLong(i * 8);
            long offset = entry & OFFSET_MASK;
            if (offset != 0 && ((offset & (clusterSize - 1)) != 0 || offset > fileSize - clusterSize)) {
                throw new CorruptImageException(file.name(), "L1 table", "L2 table offset " + offset
                        + " of L1 entry " + i + " is unaligned or outside the image file");
            }
            table[i] = entry;
        }
        this.l1 = table;
        this.refcounts = new Refcounts(file, header, this::refcountTableMoved);
    }

    Qcow2Header header() {
        return header;
    }

    void attachBacking(BlockImage image) {
        this.backing = image;
    }

    void backingNotOpened() {
        this.backingUnopened = header.backingFile() != null;
    }

    @Override
    public Optional<BlockImage> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    protected long doSize() {
        return header.size();
    }

    private long[] l1() {
        return l1Grown != null ? l1Grown : l1;
    }

    // ---- lookup ---------------------------------------------------------------------------------

    static Kind kind(long entry) {
        if ((entry & COMPRESSED) != 0) {
            return Kind.COMPRESSED;
        }
        if ((entry & ZERO_FLAG) != 0) {
            return (entry & OFFSET_MASK) != 0 ? Kind.ZERO_ALLOC : Kind.ZERO;
        }
        return (entry & OFFSET_MASK) != 0 ? Kind.NORMAL : Kind.UNALLOCATED;
    }

    /** A run of guest bytes from {@code offset} of one kind (for NORMAL and ZERO_ALLOC, contiguous on the host). */
    private record Run(Kind kind, long length, long host, long entry) {
    }

    /** The L2 table at {@code offset}, from the cache or the file. */
    private long[] l2(long offset) throws IOException {
        synchronized (l2Cache) {
            DirtyTable dirty = dirtyTables.get(offset);
            if (dirty != null) {
                return dirty.entries;
            }
            long[] table = l2Cache.get(offset);
            if (table != null) {
                return table;
            }
        }
        ByteBuffer raw = ByteBuffer.allocate(clusterSize);
        file().readFully(raw, offset);
        long[] table = new long[clusterSize / 8];
        for (int i = 0; i < table.length; i++) {
            long entry = raw.getLong(i * 8);
            Kind kind = kind(entry);
            if ((kind == Kind.NORMAL || kind == Kind.ZERO_ALLOC) && ((entry & OFFSET_MASK) & (clusterSize - 1)) != 0) {
                throw new CorruptImageException(file().name(), "L2 table", "Cluster allocation offset 0x"
                        + Long.toHexString(entry & OFFSET_MASK) + " unaligned (L2 table at offset " + offset
                        + ", entry " + i + ")");
            }
            table[i] = entry;
        }
        synchronized (l2Cache) {
            l2Cache.put(offset, table);
        }
        return table;
    }

    private Run lookup(long offset, long maxLength) throws IOException {
        long cluster = offset >>> clusterBits;
        int l1Index = (int) (cluster >>> l2Bits);
        int l2Index = (int) (cluster & ((1 << l2Bits) - 1));
        long inCluster = offset & (clusterSize - 1);
        int entries = 1 << l2Bits;
        long l2Offset = l1()[l1Index] & OFFSET_MASK;
        if (l2Offset == 0) {
            long length = ((long) (entries - l2Index) << clusterBits) - inCluster;
            return new Run(Kind.UNALLOCATED, Math.min(length, maxLength), 0, 0);
        }
        long[] table = l2(l2Offset);
        long first = table[l2Index];
        Kind kind = kind(first);
        long host = first & OFFSET_MASK;
        int n = 1;
        if (kind != Kind.COMPRESSED) {
            long need = (maxLength + inCluster + clusterSize - 1) >>> clusterBits;
            while (n < need && l2Index + n < entries) {
                long next = table[l2Index + n];
                boolean mapped = kind == Kind.NORMAL || kind == Kind.ZERO_ALLOC;
                if (kind(next) != kind || (mapped && (next & OFFSET_MASK) != host + ((long) n << clusterBits))) {
                    break;
                }
                n++;
            }
        }
        long length = ((long) n << clusterBits) - inCluster;
        boolean mapped = kind == Kind.NORMAL || kind == Kind.ZERO_ALLOC;
        return new Run(kind, Math.min(length, maxLength), mapped ? host + inCluster : host, first);
    }

    // ---- reads ----------------------------------------------------------------------------------

    @Override
    protected void doRead(long offset, ByteBuffer dst) throws IOException {
        metadata.readLock().lock();
        try {
            readLocked(offset, dst);
        } finally {
            metadata.readLock().unlock();
        }
    }

    private void readLocked(long offset, ByteBuffer dst) throws IOException {
        long at = offset;
        while (dst.hasRemaining()) {
            Run run = lookup(at, dst.remaining());
            int n = (int) run.length();
            ByteBuffer part = dst.slice(dst.position(), n);
            switch (run.kind()) {
                case NORMAL -> readHost(run.host(), part);
                case ZERO, ZERO_ALLOC -> fillZeros(part);
                case UNALLOCATED -> readBacking(at, part);
                case COMPRESSED -> {
                    byte[] cluster = decompress(run.entry());
                    part.put(cluster, (int) (at & (clusterSize - 1)), n);
                }
                default -> throw new IllegalStateException();
            }
            dst.position(dst.position() + n);
            at += n;
        }
    }

    /** Reads host bytes; past the end of the file, zeros (as QEMU reads a short file). */
    private void readHost(long host, ByteBuffer part) throws IOException {
        long at = host;
        while (part.hasRemaining()) {
            int n = file().read(part, at);
            if (n < 0) {
                fillZeros(part);
                return;
            }
            at += n;
        }
    }

    private static void fillZeros(ByteBuffer part) {
        while (part.hasRemaining()) {
            part.put((byte) 0);
        }
    }

    private void readBacking(long at, ByteBuffer part) throws IOException {
        BlockImage b = backing;
        if (b == null) {
            if (backingUnopened) {
                throw new UnsupportedFeatureException(name() + ": the range is in the backing file '"
                        + header.backingFile() + "', which is not open");
            }
            fillZeros(part);
            return;
        }
        long inBacking = Math.max(0, Math.min(part.remaining(), b.size() - at));
        if (inBacking > 0) {
            b.read(at, part.slice(part.position(), (int) inBacking));
            part.position(part.position() + (int) inBacking);
        }
        fillZeros(part);
    }

    /** Where a compressed cluster's bytes are: host offset and length. */
    private long[] compressedRange(long entry) {
        int x = 62 - (clusterBits - 8);
        long host = entry & ((1L << x) - 1);
        long sectors = ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
        long length = sectors * 512 - (host & 511);
        return new long[] {host, length};
    }

    private byte[] decompress(long entry) throws IOException {
        long[] range = compressedRange(entry);
        long fileSize = file().size();
        if (range[0] >= fileSize) {
            throw new CorruptImageException(file().name(), "L2 table", "compressed cluster at host offset " + range[0]
                    + " lies outside the image file");
        }
        int length = (int) Math.min(range[1], fileSize - range[0]);
        ByteBuffer compressed = ByteBuffer.allocate(length);
        file().readFully(compressed, range[0]);
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(compressed.array(), 0, length);
            byte[] out = new byte[clusterSize];
            int done = 0;
            while (done < clusterSize) {
                int n = inflater.inflate(out, done, clusterSize - done);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                done += n;
            }
            if (done != clusterSize) {
                throw new CorruptImageException(file().name(), "compressed cluster", "compressed data at host offset "
                        + range[0] + " decompresses to " + done + " bytes, not a whole cluster of " + clusterSize);
            }
            return out;
        } catch (DataFormatException e) {
            throw new CorruptImageException(file().name(), "compressed cluster", "compressed data at host offset "
                    + range[0] + " is damaged: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    // ---- block status ---------------------------------------------------------------------------

    @Override
    protected List<Extent> doBlockStatus(long offset, long length) throws IOException {
        metadata.readLock().lock();
        try {
            List<Extent> extents = new ArrayList<>();
            long at = offset;
            long end = offset + length;
            while (at < end) {
                Run run = lookup(at, end - at);
                long n = run.length();
                switch (run.kind()) {
                    case NORMAL -> extents.add(Extent.data(at, n, run.host()));
                    case ZERO -> extents.add(Extent.zero(at, n, true));
                    // Zeros with a cluster kept for them: QEMU's map names the cluster.
                    case ZERO_ALLOC -> extents.add(new Extent(at, n, false, true, true, OptionalLong.of(run.host())));
                    case COMPRESSED -> extents.add(new Extent(at, n, true, false, true, OptionalLong.empty()));
                    case UNALLOCATED -> backingStatus(extents, at, n);
                    default -> throw new IllegalStateException();
                }
                at += n;
            }
            return extents;
        } finally {
            metadata.readLock().unlock();
        }
    }

    /** The backing image's runs, one layer down; with none, zeros this layer does not hold. */
    private void backingStatus(List<Extent> extents, long at, long n) throws IOException {
        BlockImage b = backing;
        if (b == null) {
            extents.add(backingUnopened ? new Extent(at, n, false, false, false, OptionalLong.empty(), 1)
                    : Extent.zero(at, n, false));
            return;
        }
        extents.addAll(Extent.fromBacking(b, at, n));
    }

    // ---- writes ---------------------------------------------------------------------------------

    @Override
    protected void doWrite(long offset, ByteBuffer src) throws IOException {
        metadata.writeLock().lock();
        try {
            long at = offset;
            while (src.hasRemaining()) {
                long tableEnd = ((at >>> (clusterBits + l2Bits)) + 1) << (clusterBits + l2Bits);
                int n = (int) Math.min(Math.min(src.remaining(), tableEnd - at), WRITE_CHUNK);
                writeChunk(at, src.slice(src.position(), n));
                src.position(src.position() + n);
                at += n;
            }
        } finally {
            metadata.writeLock().unlock();
        }
    }

    /** Writes {@code data} at {@code offset}, within one L2 table's range. */
    private void writeChunk(long offset, ByteBuffer data) throws IOException {
        long end = offset + data.remaining();
        long firstCluster = offset >>> clusterBits;
        int count = (int) (((end - 1) >>> clusterBits) - firstCluster + 1);
        int l1Index = (int) (firstCluster >>> l2Bits);
        int l2First = (int) (firstCluster & ((1 << l2Bits) - 1));
        long l2Offset = l1()[l1Index] & OFFSET_MASK;
        long[] entries = l2Offset == 0 ? new long[1 << l2Bits] : l2(l2Offset).clone();

        boolean[] fresh = new boolean[count];
        int freshCount = 0;
        for (int i = 0; i < count; i++) {
            long e = entries[l2First + i];
            fresh[i] = !(kind(e) == Kind.NORMAL && (e & COPIED) != 0);
            if (fresh[i]) {
                freshCount++;
            }
        }
        // Old content of partly written new clusters, read before anything changes.
        byte[][] old = new byte[count][];
        for (int i = 0; i < count; i++) {
            long cStart = (firstCluster + i) << clusterBits;
            boolean whole = cStart >= offset && cStart + clusterSize <= end
                    || cStart >= offset && end >= header.size() && cStart + clusterSize > header.size();
            if (fresh[i] && !whole) {
                old[i] = new byte[clusterSize];
                long valid = Math.min(clusterSize, header.size() - cStart);
                readLocked(cStart, ByteBuffer.wrap(old[i], 0, (int) valid));
            }
        }
        boolean newTable = l2Offset == 0;
        long base = 0;
        int allocated = freshCount + (newTable ? 1 : 0);
        if (allocated > 0) {
            base = refcounts.allocate(allocated);
        }
        long tableHost = newTable ? base : l2Offset;
        long dataBase = newTable ? base + clusterSize : base;

        // Data: in place where allocated, else into the new clusters, run by run.
        int k = 0;
        int i = 0;
        while (i < count) {
            int j = i;
            if (!fresh[i]) {
                long host = entries[l2First + i] & OFFSET_MASK;
                while (j + 1 < count && !fresh[j + 1]
                        && (entries[l2First + j + 1] & OFFSET_MASK) == host + ((long) (j + 1 - i) << clusterBits)) {
                    j++;
                }
                long from = Math.max(offset, (firstCluster + i) << clusterBits);
                long to = Math.min(end, (firstCluster + j + 1) << clusterBits);
                long inCluster = from - ((firstCluster + i) << clusterBits);
                file().write(data.slice((int) (from - offset), (int) (to - from)), host + inCluster);
            } else {
                while (j + 1 < count && fresh[j + 1]) {
                    j++;
                }
                int clusters = j - i + 1;
                ByteBuffer buffer = ByteBuffer.allocate(clusters << clusterBits);
                for (int c = i; c <= j; c++) {
                    long cStart = (firstCluster + c) << clusterBits;
                    int pos = (c - i) << clusterBits;
                    if (old[c] != null) {
                        buffer.put(pos, old[c]);
                    }
                    long from = Math.max(offset, cStart);
                    long to = Math.min(end, cStart + clusterSize);
                    buffer.put(pos + (int) (from - cStart), data, (int) (from - offset), (int) (to - from));
                }
                long host = dataBase + ((long) k << clusterBits);
                file().write(buffer, host);
                for (int c = i; c <= j; c++) {
                    long previous = entries[l2First + c];
                    entries[l2First + c] = (host + ((long) (c - i) << clusterBits)) | COPIED;
                    old[c] = null;
                    fresh[c] = true;
                    freshOld(c, previous);
                }
                k += clusters;
            }
            i = j + 1;
        }
        commitTable(l1Index, tableHost, newTable, entries, l2First, l2First + count);
        freeReplaced();
    }

    /** Entries replaced by the write in progress, whose clusters lose a reference once the L2 table is written. */
    private final List<Long> replaced = new ArrayList<>();

    private void freshOld(int index, long previous) {
        Kind kind = kind(previous);
        if (kind != Kind.UNALLOCATED && kind != Kind.ZERO) {
            replaced.add(previous);
        }
    }

    /** The replaced entries wait for the next {@link #writeBack}, after the tables that replaced them. */
    private void freeReplaced() {
        pendingFrees.addAll(replaced);
        replaced.clear();
    }

    /** Drops the reference an entry that no longer exists held. */
    private void release(long entry) throws IOException {
        switch (kind(entry)) {
            case NORMAL, ZERO_ALLOC -> refcounts.free(entry & OFFSET_MASK, 1);
            case COMPRESSED -> {
                long[] range = compressedRange(entry);
                long first = range[0] >>> clusterBits;
                long last = (range[0] + range[1] - 1) >>> clusterBits;
                refcounts.free(first << clusterBits, last - first + 1);
            }
            default -> {
            }
        }
    }

    /** An L2 table changed since the last write-back: entries {@code [from, to)}, or all of a new table. */
    private static final class DirtyTable {
        long[] entries;
        final boolean created;
        int from;
        int to;

        DirtyTable(long[] entries, boolean created, int from, int to) {
            this.entries = entries;
            this.created = created;
            this.from = from;
            this.to = to;
        }
    }

    /** Changed L2 tables by host offset, in the order they changed; they stay in memory until written. */
    private final Map<Long, DirtyTable> dirtyTables = new LinkedHashMap<>();
    /** L1 entries naming new L2 tables, not yet written. */
    private final java.util.TreeSet<Integer> dirtyL1 = new java.util.TreeSet<>();
    /** Entries whose clusters lose their reference once the tables that replaced them are on disk. */
    private final List<Long> pendingFrees = new ArrayList<>();
    /** Changed tables kept before a write-back is forced (bounds memory and the work a crash loses). */
    private static final int MAX_DIRTY_TABLES = 64;

    /**
     * Records entries {@code [from, to)} of an L2 table as changed (a new table as a whole, and the L1
     * entry that names it); {@link #writeBack} writes them.
     */
    private void commitTable(int l1Index, long tableHost, boolean newTable, long[] entries, int from, int to)
            throws IOException {
        synchronized (l2Cache) {
            l2Cache.put(tableHost, entries);
        }
        DirtyTable dirty = dirtyTables.get(tableHost);
        if (dirty == null) {
            dirtyTables.put(tableHost, new DirtyTable(entries, newTable, from, to));
        } else {
            dirty.entries = entries;
            dirty.from = Math.min(dirty.from, from);
            dirty.to = Math.max(dirty.to, to);
        }
        if (newTable) {
            l1()[l1Index] = tableHost | COPIED;
            dirtyL1.add(l1Index);
        }
        if (dirtyTables.size() > MAX_DIRTY_TABLES) {
            writeBack();
        }
    }

    /**
     * Writes the changed metadata in the order that keeps the image consistent on disk at every
     * moment: the refcounts of new clusters (already written) and the data are made durable first,
     * then the L2 tables are written and made durable, then the L1 entries that name new tables, and
     * only after those are durable do replaced clusters lose their references. A crash anywhere
     * leaves each table either old or new, and at worst clusters counted that nothing references.
     */
    private void writeBack() throws IOException {
        if (dirtyTables.isEmpty() && dirtyL1.isEmpty() && pendingFrees.isEmpty()) {
            return;
        }
        file().flush();
        for (Map.Entry<Long, DirtyTable> e : dirtyTables.entrySet()) {
            DirtyTable table = e.getValue();
            int from = table.created ? 0 : table.from;
            int to = table.created ? table.entries.length : table.to;
            ByteBuffer raw = ByteBuffer.allocate((to - from) * 8);
            for (int i = from; i < to; i++) {
                raw.putLong((i - from) * 8, table.entries[i]);
            }
            file().write(raw, e.getKey() + from * 8L);
        }
        dirtyTables.clear();
        if (!dirtyL1.isEmpty()) {
            file().flush();
            long[] table = l1();
            int first = dirtyL1.first();
            int last = dirtyL1.last();
            ByteBuffer raw = ByteBuffer.allocate((last - first + 1) * 8);
            for (int i = first; i <= last; i++) {
                raw.putLong((i - first) * 8, table[i]);
            }
            file().write(raw, header.l1TableOffset() + first * 8L);
            dirtyL1.clear();
        }
        if (!pendingFrees.isEmpty()) {
            file().flush();
            List<Long> frees = new ArrayList<>(pendingFrees);
            pendingFrees.clear();
            for (long entry : frees) {
                release(entry);
            }
        }
    }

    /**
     * Gives each whole cluster of {@code [offset, offset+length)} the entry {@code change} makes of
     * its entry, one L2 table at a time; clusters lose their old references after the table is written.
     */
    private void rewriteEntries(long firstCluster, long count, LongUnaryOperator change) throws IOException {
        long cluster = firstCluster;
        long end = firstCluster + count;
        while (cluster < end) {
            int l1Index = (int) (cluster >>> l2Bits);
            int from = (int) (cluster & ((1 << l2Bits) - 1));
            int to = (int) Math.min(1 << l2Bits, from + (end - cluster));
            long l2Offset = l1()[l1Index] & OFFSET_MASK;
            long[] entries = l2Offset == 0 ? new long[1 << l2Bits] : l2(l2Offset).clone();
            int first = -1;
            int last = -1;
            for (int i = from; i < to; i++) {
                long updated = change.applyAsLong(entries[i]);
                if (updated != entries[i]) {
                    if (first < 0) {
                        first = i;
                    }
                    last = i;
                    freshOld(i, entries[i]);
                    if ((updated & OFFSET_MASK) == (entries[i] & OFFSET_MASK) && kind(updated) != Kind.UNALLOCATED
                            && kind(updated) != Kind.ZERO) {
                        replaced.remove(replaced.size() - 1);
                    }
                    entries[i] = updated;
                }
            }
            if (first >= 0) {
                boolean newTable = l2Offset == 0;
                long tableHost = newTable ? refcounts.allocate(1) : l2Offset;
                commitTable(l1Index, tableHost, newTable, entries, first, last + 1);
                freeReplaced();
            }
            cluster += to - from;
        }
    }

    @Override
    protected void doWriteZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        metadata.writeLock().lock();
        try {
            boolean v3 = header.version() >= 3;
            long end = offset + length;
            long firstWhole = (offset + clusterSize - 1) >>> clusterBits;
            // The cluster the image ends in counts as whole when the range reaches the end.
            long endWhole = end >= header.size() ? (end + clusterSize - 1) >>> clusterBits : end >>> clusterBits;
            if (firstWhole >= endWhole || !v3 && (backing != null || backingUnopened || !mayUnmap)) {
                zeroBytes(offset, length);
                return;
            }
            zeroBytes(offset, (firstWhole << clusterBits) - offset);
            if (v3) {
                rewriteEntries(firstWhole, endWhole - firstWhole, e -> {
                    if (!mayUnmap && kind(e) == Kind.NORMAL && (e & COPIED) != 0) {
                        return e | ZERO_FLAG;
                    }
                    if (!mayUnmap && kind(e) == Kind.ZERO_ALLOC) {
                        return e;
                    }
                    return ZERO_FLAG;
                });
            } else {
                rewriteEntries(firstWhole, endWhole - firstWhole, e -> 0);
            }
            long tail = Math.min(end, endWhole << clusterBits);
            zeroBytes(tail, end - tail);
        } finally {
            metadata.writeLock().unlock();
        }
    }

    private void zeroBytes(long offset, long length) throws IOException {
        if (length > 0) {
            long done = 0;
            while (done < length) {
                int n = (int) Math.min(length - done, WRITE_CHUNK);
                long at = offset + done;
                long tableEnd = ((at >>> (clusterBits + l2Bits)) + 1) << (clusterBits + l2Bits);
                n = (int) Math.min(n, tableEnd - at);
                writeChunk(at, ByteBuffer.allocate(n));
                done += n;
            }
        }
    }

    @Override
    protected boolean doZeroesCheaply(long offset, long length) {
        long end = offset + length;
        boolean aligned = (offset & (clusterSize - 1)) == 0
                && ((end & (clusterSize - 1)) == 0 || end == header.size());
        return header.version() >= 3 && aligned;
    }

    /**
     * Whole clusters become unallocated, or zero clusters where unallocated would show the backing
     * image's data (version 3); their space is given back. Partial clusters are left as they are.
     */
    @Override
    protected void doDiscard(long offset, long length) throws IOException {
        metadata.writeLock().lock();
        try {
            long end = offset + length;
            long firstWhole = (offset + clusterSize - 1) >>> clusterBits;
            long endWhole = end >= header.size() ? (end + clusterSize - 1) >>> clusterBits : end >>> clusterBits;
            if (firstWhole >= endWhole) {
                return;
            }
            boolean layered = header.backingFile() != null;
            long unmapped = layered && header.version() >= 3 ? ZERO_FLAG : 0;
            rewriteEntries(firstWhole, endWhole - firstWhole, e -> unmapped);
        } finally {
            metadata.writeLock().unlock();
        }
    }

    @Override
    protected void doFlush() throws IOException {
        metadata.writeLock().lock();
        try {
            writeBack();
            file().flush();
        } finally {
            metadata.writeLock().unlock();
        }
    }

    // ---- metadata changes -----------------------------------------------------------------------

    /** Writes the first cluster from {@code updated} and flushes; the header is then in force. */
    private void writeHeader(Qcow2Header updated) throws IOException {
        file().write(ByteBuffer.wrap(updated.encode()), 0);
        file().flush();
        header = updated;
    }

    private void refcountTableMoved(long offset, int clusters) throws IOException {
        writeHeader(header.withRefcountTable(offset, clusters));
    }

    @Override
    protected void doChangeBacking(BackingImage next) throws IOException {
        metadata.writeLock().lock();
        try {
            Qcow2Header updated = next == null ? header.withBacking(null, null)
                    : header.withBacking(next.name(), next.image().info().format());
            writeHeader(updated);
            BlockImage previous = backing;
            backing = next == null ? null : next.image();
            backingUnopened = false;
            if (previous != null && previous != backing) {
                previous.close();
            }
        } finally {
            metadata.writeLock().unlock();
        }
    }

    /**
     * Empties a layered image (what {@code commit} does to the image it committed): every entry of
     * every L2 table becomes unallocated, one table per write, so that at any moment each cluster
     * reads either this layer's data or the backing image's; the clusters lose their references after.
     */
    @Override
    protected void doMakeEmpty() throws IOException {
        if (header.backingFile() == null) {
            super.doMakeEmpty();
        }
        metadata.writeLock().lock();
        try {
            long clusters = (header.size() + clusterSize - 1) >>> clusterBits;
            for (int i = 0; i < l1().length; i++) {
                long first = (long) i << l2Bits;
                if ((l1()[i] & OFFSET_MASK) != 0 && first < clusters) {
                    rewriteEntries(first, Math.min(1L << l2Bits, clusters - first), e -> 0);
                }
            }
            writeBack();
            file().flush();
        } finally {
            metadata.writeLock().unlock();
        }
    }

    /**
     * Grows the virtual disk: when the L1 table must grow, a new one is written at the end of the file
     * and flushed before the header names it; the old table's clusters are freed after.
     */
    @Override
    protected void doResize(long newSize) throws IOException {
        if (newSize < header.size()) {
            throw new UnsupportedFeatureException("qcow2 images can only grow here: shrinking is not supported");
        }
        if ((newSize & 511) != 0) {
            throw new org.jblock.api.InvalidRequestException("The new size must be a multiple of 512");
        }
        if (newSize > Qcow2Header.MAX_SIZE) {
            throw new org.jblock.api.InvalidRequestException("The new size is too large: at most " + Qcow2Header.MAX_SIZE);
        }
        metadata.writeLock().lock();
        try {
            writeBack();
            long needed = Qcow2Header.l1EntriesFor(newSize, clusterBits);
            if (needed <= header.l1Size()) {
                writeHeader(header.withL1(newSize, header.l1Size(), header.l1TableOffset()));
                return;
            }
            if (needed * 8 > Qcow2Header.MAX_L1_BYTES) {
                throw new UnsupportedFeatureException("The new size needs an L1 table larger than 32 MiB");
            }
            long[] current = l1();
            int clusters = (int) ((needed * 8 + clusterSize - 1) >>> clusterBits);
            long host = refcounts.allocate(clusters);
            ByteBuffer raw = ByteBuffer.allocate(clusters << clusterBits);
            for (int i = 0; i < current.length; i++) {
                raw.putLong(i * 8, current[i]);
            }
            file().write(raw, host);
            file().flush();
            long oldOffset = header.l1TableOffset();
            long oldClusters = ((long) header.l1Size() * 8 + clusterSize - 1) >>> clusterBits;
            writeHeader(header.withL1(newSize, (int) needed, host));
            l1Grown = java.util.Arrays.copyOf(current, (int) needed);
            if (oldClusters > 0) {
                refcounts.free(oldOffset, oldClusters);
            }
        } finally {
            metadata.writeLock().unlock();
        }
    }

    // ---- info and check -------------------------------------------------------------------------

    @Override
    protected ImageInfo doInfo() throws IOException {
        Qcow2Header h = header;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("compat", h.version() >= 3 ? "1.1" : "0.10");
        fields.put("compression-type", "zlib");
        if (h.version() >= 3) {
            fields.put("lazy-refcounts", (h.compatibleFeatures() & Qcow2Header.COMPAT_LAZY_REFCOUNTS) != 0);
        }
        fields.put("refcount-bits", (long) h.refcountBits());
        if (h.version() >= 3) {
            fields.put("corrupt", (h.incompatibleFeatures() & Qcow2Header.INCOMPAT_CORRUPT) != 0);
            fields.put("extended-l2", false);
        }
        if (h.backingFile() == null) {
            return new ImageInfo(format(), h.size(), clusterSize, fields);
        }
        BlockImage b = backing;
        String format = h.backingFormat();
        String resolved = nextToThisFile(h.backingFile());
        if (b != null) {
            resolved = b.name();
            if (format == null) {
                format = b.info().format();
            }
        }
        return new ImageInfo(format(), h.size(), clusterSize, fields,
                Optional.of(new ImageInfo.Backing(h.backingFile(), resolved, format)));
    }

    /**
     * Where a relative backing name points when the backing image is not open: next to this image's
     * file, as the registry resolves it; absolute names and names with a protocol stay as they are.
     */
    private String nextToThisFile(String name) {
        if (name.contains(":")) {
            return name;
        }
        try {
            java.nio.file.Path target = java.nio.file.Path.of(name);
            java.nio.file.Path dir = java.nio.file.Path.of(file().location()).getParent();
            return target.isAbsolute() || dir == null ? name : dir.resolve(target).normalize().toString();
        } catch (java.nio.file.InvalidPathException e) {
            return name;
        }
    }

    @Override
    protected CheckReport doCheck(CheckMode mode, ProgressListener progress) throws IOException {
        metadata.writeLock().lock();
        try {
            if (!isReadOnly()) {
                writeBack();
                file().flush();
            }
            return new Qcow2Checker(file(), header, l1(), mode, refcounts, this::l2, progress).check();
        } finally {
            metadata.writeLock().unlock();
        }
    }

    @Override
    protected void doClose() throws IOException {
        BlockImage b = backing;
        if (b != null) {
            b.close();
        }
    }
}
