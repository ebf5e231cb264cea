package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;

/**
 * Writes a new, empty qcow2 image: the header (with the backing file and its format, and for version 3
 * the feature name table) in cluster 0, then the refcount table, the refcount blocks that count the
 * metadata, and the empty L1 table. The refcount table is made large enough to describe a file holding
 * every cluster of the disk, so that it seldom has to move.
 */
final class Qcow2Creator {
    private Qcow2Creator() {
    }

    static void create(BlockFile file, long size, int version, int clusterBits, int refcountOrder, String backingName,
                       String backingFormat) throws IOException {
        long clusterSize = 1L << clusterBits;
        long l1Entries = Qcow2Header.l1EntriesFor(size, clusterBits);
        if (l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new InvalidOptionException("Image size is too large for this cluster size");
        }
        long l1Clusters = Math.max(1, (l1Entries * 8 + clusterSize - 1) >>> clusterBits);
        long perBlock = (clusterSize * 8) >> refcountOrder;
        long guestClusters = (size + clusterSize - 1) >>> clusterBits;
        long fullFile = 1 + l1Clusters + l1Entries + guestClusters;
        long blocksForFull = (fullFile + perBlock - 1) / perBlock + 1;
        long tableClusters = Math.max(1, (blocksForFull * 8 + clusterSize - 1) >>> clusterBits);
        tableClusters = Math.min(tableClusters, Qcow2Header.MAX_REFCOUNT_TABLE_BYTES >>> clusterBits);
        long blocks = 1;
        while ((1 + tableClusters + blocks + l1Clusters + perBlock - 1) / perBlock > blocks) {
            blocks++;
        }
        if (blocks > tableClusters * (clusterSize / 8)) {
            throw new InvalidOptionException("Image size is too large for this cluster size");
        }
        long tableOffset = clusterSize;
        long blocksOffset = tableOffset + (tableClusters << clusterBits);
        long l1Offset = blocksOffset + (blocks << clusterBits);
        long end = l1Offset + (l1Clusters << clusterBits);
        long metadataClusters = end >>> clusterBits;

        Qcow2Header header = new Qcow2Header(version, 0, 0, clusterBits, size, 0, (int) l1Entries, l1Offset,
                tableOffset, (int) tableClusters, 0, 0, 0, 0, 0, refcountOrder,
                version == 3 ? 112 : Qcow2Header.V2_LENGTH, 0, backingName, backingFormat,
                version == 3 ? List.of(Qcow2Header.featureTable()) : List.of());
        file.truncate(end);
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters << clusterBits));
        for (long b = 0; b < blocks; b++) {
            table.putLong((int) (b * 8), blocksOffset + (b << clusterBits));
        }
        file.write(table, tableOffset);
        Refcounts counts = new Refcounts(file, header, (o, c) -> {
            throw new InvalidOptionException("the refcount table would have to move while the image is created");
        });
        counts.adjust(0, metadataClusters, 1, true);
        file.write(ByteBuffer.wrap(header.encode()), 0);
        file.flush();
    }
}
