package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.CorruptImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The refcount table and its refcount blocks: how many references each host cluster has, and the
 * allocation of new clusters. Not thread-safe: the image calls it under its metadata lock.
 *
 * <p>Allocation appends: new clusters come after the end of the file (and after every cluster that
 * has a reference), so space a crash leaks never holds data a later allocation could expose. The
 * order of writes keeps the image consistent at every step: a new refcount block is written (counting
 * itself) and flushed before the table entry that names it; the refcounts of allocated clusters are
 * written at once, and the image flushes before it writes any L2 or L1 entry that points at them.
 * A crash in between leaves clusters with a refcount that nothing references: leaks, never corruption.
 */
final class Refcounts {
    private final BlockFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    /** Refcount entries per refcount block. */
    private final int perBlock;
    private final long maxRefcount;
    private long tableOffset;
    private long[] table;
    private final Map<Integer, byte[]> blocks = new HashMap<>();
    /** The first host cluster never allocated: new clusters come from here on. */
    private long nextFree;
    /** Told when the refcount table moves, to write the header that names the new one. */
    private final TableMover mover;

    interface TableMover {
        /** Writes (and the caller then flushes) a header naming the refcount table at its new place. */
        void moved(long offset, int clusters) throws IOException;
    }

    Refcounts(BlockFile file, Qcow2Header header, TableMover mover) throws IOException {
        this.file = file;
        this.tableOffset = header.refcountTableOffset();
        this.mover = mover;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.order = header.refcountOrder();
        this.perBlock = (clusterSize * 8) >> order;
        this.maxRefcount = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        int entries = (int) ((long) header.refcountTableClusters() * clusterSize / 8);
        ByteBuffer raw = ByteBuffer.allocate(entries * 8);
        file.readFully(raw, header.refcountTableOffset());
        table = new long[entries];
        long fileSize = file.size();
        for (int i = 0; i < entries; i++) {
            long entry = raw.getLong(i * 8);
            long offset = entry & ~511L;
            if (offset != 0 && ((offset & (clusterSize - 1)) != 0 || offset > fileSize - clusterSize || offset < 0)) {
                throw new CorruptImageException(file.name(), "refcount table", "Refcount block offset invalid at entry " + i);
            }
            table[i] = offset;
        }
        nextFree = (fileSize + clusterSize - 1) >>> clusterBits;
    }

    long[] table() {
        return table;
    }

    int perBlock() {
        return perBlock;
    }

    /** @return the refcount of host cluster {@code cluster} */
    long get(long cluster) throws IOException {
        long blockIndex = cluster / perBlock;
        if (cluster < 0 || blockIndex >= table.length || table[(int) blockIndex] == 0) {
            return 0;
        }
        return read(block((int) blockIndex), (int) (cluster % perBlock));
    }

    private byte[] block(int index) throws IOException {
        byte[] b = blocks.get(index);
        if (b == null) {
            b = new byte[clusterSize];
            file.readFully(ByteBuffer.wrap(b), table[index]);
            blocks.put(index, b);
        }
        return b;
    }

    long read(byte[] block, int i) {
        if (order >= 3) {
            int bytes = 1 << (order - 3);
            long v = 0;
            for (int k = 0; k < bytes; k++) {
                v = (v << 8) | (block[i * bytes + k] & 0xff);
            }
            return v;
        }
        int bits = 1 << order;
        int perByte = 8 / bits;
        return (block[i / perByte] >> ((i % perByte) * bits)) & ((1 << bits) - 1);
    }

    private void store(byte[] block, int i, long value) {
        if (order >= 3) {
            int bytes = 1 << (order - 3);
            for (int k = bytes - 1; k >= 0; k--) {
                block[i * bytes + k] = (byte) value;
                value >>>= 8;
            }
            return;
        }
        int bits = 1 << order;
        int perByte = 8 / bits;
        int shift = (i % perByte) * bits;
        int mask = ((1 << bits) - 1) << shift;
        block[i / perByte] = (byte) ((block[i / perByte] & ~mask) | ((int) value << shift & mask));
    }

    /** Byte range in a refcount block of entries {@code [from, to)}. */
    private int byteOf(int entry) {
        return order >= 3 ? entry << (order - 3) : entry >> (3 - order);
    }

    /**
     * Allocates {@code count} contiguous new clusters with refcount 1 and flushes the refcounts.
     *
     * @return the host offset of the first
     */
    long allocate(int count) throws IOException {
        long start;
        while (true) {
            start = nextFree;
            long end = start + count;
            int missing = -1;
            for (long b = start / perBlock; b <= (end - 1) / perBlock; b++) {
                if (b >= table.length || table[(int) b] == 0) {
                    missing = (int) Math.min(b, Integer.MAX_VALUE);
                    break;
                }
            }
            if (missing < 0) {
                // Clusters past the end of the file that already have a reference (a crash's leftovers) are skipped.
                long used = -1;
                for (long c = start; c < end; c++) {
                    if (get(c) != 0) {
                        used = c;
                    }
                }
                if (used < 0) {
                    break;
                }
                nextFree = used + 1;
                continue;
            }
            createBlock(missing);
        }
        adjust(start, count, 1, true);
        nextFree = start + count;
        return start << clusterBits;
    }

    /**
     * Adds {@code delta} to the refcounts of {@code count} clusters from host cluster {@code first}
     * (every one must be covered by a refcount block), one write per refcount block touched. With
     * {@code set}, the refcounts become {@code delta} instead.
     */
    void adjust(long first, long count, long delta, boolean set) throws IOException {
        long c = first;
        long end = first + count;
        while (c < end) {
            long index = c / perBlock;
            if (c < 0 || index >= table.length || table[(int) index] == 0) {
                throw new CorruptImageException(file.name(), "refcount table", "no refcount block for cluster " + c);
            }
            int blockIndex = (int) index;
            byte[] block = block(blockIndex);
            int from = (int) (c % perBlock);
            int to = (int) Math.min(perBlock, from + (end - c));
            for (int i = from; i < to; i++) {
                long value = set ? delta : read(block, i) + delta;
                if (value < 0 || value > maxRefcount) {
                    throw new CorruptImageException(file.name(), "refcount block", "refcount of cluster "
                            + (blockIndex * (long) perBlock + i) + " would become " + value);
                }
                store(block, i, value);
            }
            int byteFrom = byteOf(from);
            int byteTo = Math.max(byteFrom + 1, byteOf(to - 1) + (order >= 3 ? 1 << (order - 3) : 1));
            file.write(ByteBuffer.wrap(block, byteFrom, byteTo - byteFrom), table[blockIndex] + byteFrom);
            c += to - from;
        }
    }

    /**
     * Creates refcount block {@code index} at the next free cluster: written with its own refcount when
     * it covers itself, else counted in the block that does (created first when missing), then named
     * in the table (which grows when it is full).
     */
    private void createBlock(int index) throws IOException {
        if (index >= table.length) {
            growTable(index + 1);
            if (table[index] != 0) {
                return;
            }
        }
        long cluster = nextFree;
        int home = (int) (cluster / perBlock);
        if (home != index && (home >= table.length || table[home] == 0)) {
            createBlock(home);
            cluster = nextFree;
            home = (int) (cluster / perBlock);
            if (home == index || table[index] != 0) {
                if (table[index] != 0) {
                    return;
                }
            }
        }
        byte[] block = new byte[clusterSize];
        if (home == index) {
            store(block, (int) (cluster % perBlock), 1);
        }
        nextFree = cluster + 1;
        file.write(ByteBuffer.wrap(block), cluster << clusterBits);
        if (home != index) {
            adjust(cluster, 1, 1, true);
        }
        file.flush();
        table[index] = cluster << clusterBits;
        blocks.put(index, block);
        if (!growing) {
            ByteBuffer entry = ByteBuffer.allocate(8).putLong(0, cluster << clusterBits);
            file.write(entry, tableOffset + index * 8L);
        }
    }

    /** While the table grows, new blocks are named only in the new table, written whole afterwards. */
    private boolean growing;

    /**
     * Moves the refcount table to new clusters at the end, large enough for {@code minEntries}: the new
     * table is written whole and flushed, then the header names it, then the old table's clusters are
     * freed. A crash before the header write leaves the old table in force (the new clusters leak).
     */
    private void growTable(int minEntries) throws IOException {
        int entriesPerCluster = clusterSize / 8;
        long wanted = Math.max(minEntries, (long) table.length * 2);
        long clusters = (wanted + entriesPerCluster - 1) / entriesPerCluster;
        if (clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES || growing) {
            throw new UnsupportedFeatureException(file.name() + ": the refcount table cannot grow any further");
        }
        long[] oldTable = table;
        long oldOffset = tableOffset;
        int oldClusters = (int) ((long) oldTable.length * 8 / clusterSize);
        growing = true;
        try {
            table = java.util.Arrays.copyOf(oldTable, (int) (clusters * entriesPerCluster));
            long tableStart = nextFree;
            nextFree += clusters;
            for (long b = tableStart / perBlock; b <= (tableStart + clusters - 1) / perBlock; b++) {
                if (table[(int) b] == 0) {
                    createBlock((int) b);
                }
            }
            adjust(tableStart, clusters, 1, true);
            ByteBuffer raw = ByteBuffer.allocate((int) (clusters * clusterSize));
            for (int i = 0; i < table.length; i++) {
                raw.putLong(i * 8, table[i]);
            }
            file.write(raw, tableStart << clusterBits);
            file.flush();
            mover.moved(tableStart << clusterBits, (int) clusters);
            file.flush();
            tableOffset = tableStart << clusterBits;
        } catch (IOException | RuntimeException e) {
            table = oldTable;
            throw e;
        } finally {
            growing = false;
        }
        adjust(oldOffset >>> clusterBits, oldClusters, -1, false);
    }

    /** Drops one reference from each of {@code count} clusters from {@code hostOffset}. */
    void free(long hostOffset, long count) throws IOException {
        adjust(hostOffset >>> clusterBits, count, -1, false);
    }
}
