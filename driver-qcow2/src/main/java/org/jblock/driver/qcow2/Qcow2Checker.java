package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.BlockFile;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.ProgressListener;
import org.jblock.api.UnsupportedFeatureException;

/**
 * {@code check} for qcow2, as qemu-img's: every reference the metadata makes (the header, the L1 and
 * refcount tables, the refcount blocks, the L2 tables, data and compressed clusters) is counted, and
 * each host cluster's stored refcount is compared with its count. A refcount below the count is a
 * corruption ({@code ERROR cluster N refcount=A reference=B}: a cluster could be handed out twice),
 * one above it a leak. A repair sets each refcount to the count ({@code -r leaks} only where it is
 * higher), leaks before corruptions; entries that point outside the file or at unaligned offsets are
 * corruptions no refcount repair fixes.
 *
 * <p>Then, with the refcounts as they now are, the {@code COPIED} flag of every L1 entry and of every
 * allocated L2 entry must say whether the cluster's refcount is exactly one: writes go in place only
 * to a cluster with the flag, so a flag on a shared cluster would let a write reach another
 * reference's data. A wrong flag is a corruption ({@code ERROR OFLAG_COPIED ...} as qemu-img names
 * it); {@code -r all} sets it right in the table and in the open image's tables.
 */
final class Qcow2Checker {
    /** A check counts references in memory: at most this many host clusters (a 4 TiB file at 64 KiB). */
    private static final long MAX_CLUSTERS = 64L << 20;

    interface TableReader {
        long[] read(long offset) throws IOException;
    }

    private final BlockFile file;
    private final Qcow2Header header;
    private final long[] l1;
    private final CheckMode mode;
    private final Refcounts refcounts;
    private final TableReader l2Tables;
    private final ProgressListener progress;
    private final int clusterBits;
    private final int clusterSize;
    private final CheckReport.Builder report = new CheckReport.Builder();
    private int[] references;
    private long fileClusters;
    private long allocated;
    private long fragmented;
    private long lastData = -1;

    Qcow2Checker(BlockFile file, Qcow2Header header, long[] l1, CheckMode mode, Refcounts refcounts,
                 TableReader l2Tables, ProgressListener progress) {
        this.file = file;
        this.header = header;
        this.l1 = l1;
        this.mode = mode;
        this.refcounts = refcounts;
        this.l2Tables = l2Tables;
        this.progress = progress;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
    }

    CheckReport check() throws IOException {
        if (header.snapshotCount() > 0) {
            throw new UnsupportedFeatureException(file.name() + ": checking qcow2 images with internal snapshots is not"
                    + " supported");
        }
        long fileSize = file.size();
        fileClusters = (fileSize + clusterSize - 1) >>> clusterBits;
        long[] table = refcounts.table();
        long covered = fileClusters;
        for (int i = 0; i < table.length; i++) {
            if (table[i] != 0) {
                covered = Math.max(covered, (i + 1L) * refcounts.perBlock());
            }
        }
        if (covered > MAX_CLUSTERS) {
            throw new UnsupportedFeatureException(file.name() + ": the image is too large to check ("
                    + covered + " clusters)");
        }
        references = new int[(int) covered];
        mark(0, 1, "header");
        mark(header.l1TableOffset(), clustersOf((long) header.l1Size() * 8), "L1 table");
        mark(header.refcountTableOffset(), header.refcountTableClusters(), "refcount table");
        for (int i = 0; i < table.length; i++) {
            if (table[i] != 0) {
                mark(table[i], 1, "refcount block");
            }
        }
        for (int i = 0; i < l1.length; i++) {
            progress.progress(i, l1.length);
            long l2 = l1[i] & Qcow2Image.OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            if (!mark(l2, 1, "L2 table")) {
                continue;
            }
            long[] entries = l2Tables.read(l2);
            for (int j = 0; j < entries.length; j++) {
                checkEntry(entries[j], ((long) i << (clusterBits - 3)) + j);
            }
        }
        progress.progress(l1.length, l1.length);
        compare();
        checkCopiedFlags();
        long guestClusters = (header.size() + clusterSize - 1) >>> clusterBits;
        report.clusters(guestClusters, allocated, fragmented);
        long end = 0;
        for (long c = references.length - 1; c >= 0; c--) {
            if (references[(int) c] > 0) {
                end = (c + 1) << clusterBits;
                break;
            }
        }
        report.imageEndOffset(Math.max(end, Math.min(fileSize, end)));
        return report.build();
    }

    private long clustersOf(long bytes) {
        return (bytes + clusterSize - 1) >>> clusterBits;
    }

    private void checkEntry(long entry, long guestCluster) {
        switch (Qcow2Image.kind(entry)) {
            case NORMAL, ZERO_ALLOC -> {
                long host = entry & Qcow2Image.OFFSET_MASK;
                if ((host & (clusterSize - 1)) != 0) {
                    report.add(Severity.CORRUPTION, "offset=" + Long.toHexString(host) + ": Cluster is not properly"
                            + " aligned; L2 entry corrupted.", -1, false);
                    return;
                }
                if (mark(host, 1, "data cluster") && Qcow2Image.kind(entry) == Qcow2Image.Kind.NORMAL) {
                    allocated++;
                    if (lastData >= 0 && host != lastData + clusterSize) {
                        fragmented++;
                    }
                    lastData = host;
                }
            }
            case COMPRESSED -> {
                int x = 62 - (clusterBits - 8);
                long host = entry & ((1L << x) - 1);
                long sectors = ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
                long length = sectors * 512 - (host & 511);
                long first = host >>> clusterBits;
                long last = (host + length - 1) >>> clusterBits;
                mark(first << clusterBits, last - first + 1, "compressed cluster");
                allocated++;
            }
            default -> {
            }
        }
    }

    /** Counts a reference to each cluster of a structure; false when it lies outside the file. */
    private boolean mark(long offset, long clusters, String what) {
        long first = offset >>> clusterBits;
        if (offset < 0 || first + clusters > fileClusters) {
            report.add(Severity.CORRUPTION, what + " at offset " + offset + " lies outside the image file", -1, false);
            return false;
        }
        for (long c = first; c < first + clusters; c++) {
            references[(int) c]++;
        }
        return true;
    }

    private void compare() throws IOException {
        boolean repairLeaks = mode.repairs();
        boolean repairAll = mode == CheckMode.REPAIR_ALL;
        for (int c = 0; c < references.length; c++) {
            long stored = refcounts.get(c);
            int counted = references[c];
            if (stored == counted) {
                continue;
            }
            boolean leak = stored > counted;
            boolean repair = leak ? repairLeaks : repairAll;
            if (repair) {
                refcounts.adjust(c, 1, counted, true);
            }
            if (leak) {
                report.add(Severity.LEAK, "cluster " + c + " refcount=" + stored + " reference=" + counted, -1, repair);
            } else {
                report.add(Severity.CORRUPTION, "cluster " + c + " refcount=" + stored + " reference=" + counted, -1, repair);
            }
        }
        if (repairLeaks) {
            file.flush();
        }
    }

    /** qemu-img's {@code check_oflag_copied}: each flag against the refcount it stands for. */
    private void checkCopiedFlags() throws IOException {
        boolean repair = mode == CheckMode.REPAIR_ALL;
        boolean wrote = false;
        for (int i = 0; i < l1.length; i++) {
            long l2 = l1[i] & Qcow2Image.OFFSET_MASK;
            if (l2 == 0 || (l2 >>> clusterBits) >= fileClusters) {
                continue;
            }
            long refcount = refcounts.get(l2 >>> clusterBits);
            if ((refcount == 1) != ((l1[i] & Qcow2Image.COPIED) != 0)) {
                report.add(Severity.CORRUPTION, "OFLAG_COPIED L2 cluster: l1_index=" + i + " l1_entry="
                        + Long.toHexString(l1[i]) + " refcount=" + refcount, -1, repair);
                if (repair) {
                    l1[i] = refcount == 1 ? l1[i] | Qcow2Image.COPIED : l1[i] & ~Qcow2Image.COPIED;
                    writeEntry(header.l1TableOffset() + 8L * i, l1[i]);
                    wrote = true;
                }
            }
            long[] entries = l2Tables.read(l2);
            for (int j = 0; j < entries.length; j++) {
                long entry = entries[j];
                Qcow2Image.Kind kind = Qcow2Image.kind(entry);
                long host = entry & Qcow2Image.OFFSET_MASK;
                if ((kind != Qcow2Image.Kind.NORMAL && kind != Qcow2Image.Kind.ZERO_ALLOC)
                        || (host & (clusterSize - 1)) != 0 || (host >>> clusterBits) >= fileClusters) {
                    continue;
                }
                long dataRefcount = refcounts.get(host >>> clusterBits);
                if ((dataRefcount == 1) != ((entry & Qcow2Image.COPIED) != 0)) {
                    report.add(Severity.CORRUPTION, "OFLAG_COPIED data cluster: l2_entry=" + Long.toHexString(entry)
                            + " refcount=" + dataRefcount, -1, repair);
                    if (repair) {
                        // The open image's cached table is this array: it sees the repair too.
                        entries[j] = dataRefcount == 1 ? entry | Qcow2Image.COPIED : entry & ~Qcow2Image.COPIED;
                        writeEntry(l2 + 8L * j, entries[j]);
                        wrote = true;
                    }
                }
            }
        }
        if (wrote) {
            file.flush();
        }
    }

    private void writeEntry(long offset, long entry) throws IOException {
        file.write(ByteBuffer.allocate(8).putLong(0, entry), offset);
    }
}
