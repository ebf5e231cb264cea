package org.jblock.driver.vpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * Changes the virtual size of a dynamic image.
 *
 * <h2>Grow</h2>
 * The BAT needs ⌈size/block⌉ entries. When the space between the BAT and the first block holds
 * them, only the header (max table entries) and the footers change. When it does not, the blocks
 * that lie where the BAT must grow are moved to the end of the file first (as VirtualBox does), in
 * an order that keeps the image whole after a crash between any two writes:
 * <ol>
 *   <li>the footer (unchanged) is written at the new end of the file, after room for the moved
 *       blocks: the file ends with a valid footer from here on;</li>
 *   <li>each block (bitmap and data) is copied into that room; flush;</li>
 *   <li>the BAT entries of the moved blocks are pointed at the copies (the old copies stay intact
 *       until then, so either copy is whole); flush;</li>
 *   <li>the space the BAT grows into, now unused, is filled with unallocated entries; flush;</li>
 *   <li>the header gets the new max table entries; flush (the footer still gives the old size,
 *       which the larger table covers);</li>
 *   <li>the footer gets the new size; flush; then its copy at offset 0; flush.</li>
 * </ol>
 * A crash leaves the old size (with, at worst, a leak at the end that {@code check -r leaks}
 * reclaims) or, between the last two writes, the new size with a footer copy that {@code check -r
 * all} rewrites. The bytes of an allocated last block beyond the old size are zeroed before the size
 * grows over them, so that no reader sees stale data there.
 *
 * <h2>Shrink</h2>
 * Only over unallocated blocks: every block that the dropped range touches must be unallocated,
 * so nothing is lost and a later grow finds zeros. The table keeps its entries (the spare ones are
 * room to grow back); only the footers change.
 *
 * <p>The caller holds the image's allocation lock and has written its BAT back; reads and writes of
 * the image do not run meanwhile (the image's base class drains them before a resize).
 */
final class DynamicResizer {
    private static final int FILL_CHUNK = 1 << 20;
    private final BlockFile file;
    private final String name;
    private final VhdFooter footer;
    private final DynamicHeader header;
    private final BlockAllocationTable bat;
    private final long footerAt;
    private final long oldSize;
    private final int blockSize;
    private final long span;

    /** The image after the resize. */
    record Result(VhdFooter footer, DynamicHeader header, BlockAllocationTable bat, long footerOffset) {
    }

    /**
     * @param footerAt where the footer is (the end of the used space: new blocks go there)
     * @param oldSize  the virtual size now
     */
    DynamicResizer(BlockFile file, String name, VhdFooter footer, DynamicHeader header, BlockAllocationTable bat,
                   long footerAt, long oldSize) {
        this.file = file;
        this.name = name;
        this.footer = footer;
        this.header = header;
        this.bat = bat;
        this.footerAt = footerAt;
        this.oldSize = oldSize;
        this.blockSize = header.blockSize();
        this.span = blockSize + (long) DynamicHeader.bitmapSize(blockSize);
    }

    Result resize(long newSize) throws IOException {
        if (newSize % VhdLayout.SECTOR != 0) {
            throw new InvalidRequestException(name + ": a VHD's size must be a multiple of 512 bytes, not " + newSize);
        }
        if (newSize > VhdLayout.MAX_VIRTUAL_SIZE) {
            throw new UnsupportedFeatureException(name + ": Disk size is too large, max size is 2040 GiB");
        }
        if (footer.savedState() != 0) {
            throw new UnsupportedFeatureException(name + ": the image is in a saved state (Virtual PC), which"
                    + " forbids resizing it");
        }
        if (newSize == oldSize) {
            return new Result(footer, header, bat, footerAt);
        }
        long newBlocks = VhdLayout.ceilDiv(newSize, blockSize);
        if (newBlocks > VhdLayout.MAX_TABLE_ENTRIES) {
            throw new UnsupportedFeatureException(name + ": " + newSize + " bytes need " + newBlocks + " blocks of "
                    + blockSize + " bytes, more than jblock handles in a block allocation table ("
                    + VhdLayout.MAX_TABLE_ENTRIES + ")");
        }
        if (newSize < oldSize) {
            refuseShrinkOverData(newSize);
        }
        VhdFooter resized = footer.withSize(newSize, newSize, VhdCreator.geometryFor(newSize));
        int oldEntries = header.maxTableEntries();
        if (newBlocks <= oldEntries) {
            if (newSize > oldSize) {
                zeroTailOfLastBlock();
            }
            writeFooters(resized, footerAt);
            return new Result(resized, header, bat, footerAt);
        }
        return grow(resized, (int) newBlocks);
    }

    private void refuseShrinkOverData(long newSize) throws IOException {
        long oldBlocks = VhdLayout.ceilDiv(oldSize, blockSize);
        for (long block = newSize / blockSize; block < oldBlocks; block++) {
            if (bat.isAllocated((int) block)) {
                long from = block * blockSize;
                throw new UnsupportedFeatureException(name + ": cannot shrink to " + newSize + " bytes: block "
                        + block + " (bytes " + from + " to " + Math.min(oldSize, from + blockSize) + ") holds data;"
                        + " a dynamic image shrinks only over unallocated blocks at its end");
            }
        }
    }

    /** Zeroes what an allocated, partly used last block holds beyond the old size. */
    private void zeroTailOfLastBlock() throws IOException {
        long inBlock = oldSize % blockSize;
        int last = (int) (oldSize / blockSize);
        if (inBlock == 0 || !bat.isAllocated(last)) {
            return;
        }
        long dataAt = bat.blockOffset(last) + (span - blockSize);
        byte[] zeros = new byte[64 * 1024];
        for (long at = inBlock; at < blockSize; ) {
            int n = (int) Math.min(zeros.length, blockSize - at);
            file.write(ByteBuffer.wrap(zeros, 0, n), dataAt + at);
            at += n;
        }
        file.flush();
    }

    private Result grow(VhdFooter resized, int newEntries) throws IOException {
        long tableAt = header.tableOffset();
        long oldTableEnd = tableAt + VhdLayout.batBytesOnDisk(Integer.toUnsignedLong(header.maxTableEntries()));
        long newTableEnd = tableAt + VhdLayout.batBytesOnDisk(newEntries);
        long headerAt = footer.dataOffset();
        if (headerAt >= tableAt && headerAt < newTableEnd) {
            throw new UnsupportedFeatureException(name + ": the BAT cannot grow: the dynamic header at " + headerAt
                    + " lies right after it");
        }
        List<Integer> moving = blocksIn(tableAt, newTableEnd);
        long footerAtNow = footerAt;
        BlockAllocationTable table = bat;
        if (!moving.isEmpty() || footerAt < newTableEnd) {
            long destination = VhdLayout.roundUp(Math.max(footerAt, newTableEnd), VhdLayout.SECTOR);
            footerAtNow = destination + moving.size() * span;
            if ((footerAtNow >>> VhdLayout.SECTOR_SHIFT) > VhdLayout.MAX_BAT_SECTOR) {
                throw new UnsupportedFeatureException(name + ": the image file would grow past 2 TiB, the most a"
                        + " VHD block allocation table can address");
            }
            relocate(moving, destination, footerAtNow, tableAt);
        }
        zeroTailOfLastBlock();
        // The space the table grows into: unused now, filled with unallocated entries.
        byte[] unallocated = new byte[(int) Math.min(newTableEnd - oldTableEnd, FILL_CHUNK)];
        Arrays.fill(unallocated, (byte) 0xFF);
        for (long at = oldTableEnd; at < newTableEnd; at += unallocated.length) {
            file.write(ByteBuffer.wrap(unallocated, 0, (int) Math.min(unallocated.length, newTableEnd - at)), at);
        }
        file.flush();
        DynamicHeader grown = withMaxTableEntries(newEntries);
        file.write(ByteBuffer.wrap(grown.toBytes()), headerAt);
        file.flush();
        writeFooters(resized, footerAtNow);
        return new Result(resized, grown, table.resized(newEntries), footerAtNow);
    }

    /** @return the allocated blocks that intersect {@code [from, to)}, by position */
    private List<Integer> blocksIn(long from, long to) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < bat.size(); i++) {
            if (bat.isAllocated(i)) {
                long start = bat.blockOffset(i);
                if (start < to && from < start + span) {
                    found.add(i);
                }
            }
        }
        found.sort((a, b) -> Long.compare(bat.blockOffset(a), bat.blockOffset(b)));
        return found;
    }

    /** Steps 1 to 3 of the class comment. */
    private void relocate(List<Integer> moving, long destination, long newFooterAt, long tableAt) throws IOException {
        file.write(ByteBuffer.wrap(footer.toBytes()), newFooterAt);
        int[] newSectors = new int[moving.size()];
        for (int j = 0; j < moving.size(); j++) {
            long to = destination + j * span;
            VhdChecker.copy(file, bat.blockOffset(moving.get(j)), to, span);
            newSectors[j] = (int) (to >>> VhdLayout.SECTOR_SHIFT);
        }
        file.flush();
        BitSet sectors = new BitSet();
        for (int j = 0; j < moving.size(); j++) {
            bat.set(moving.get(j), newSectors[j]);
            sectors.set(moving.get(j) / (VhdLayout.SECTOR / 4));
        }
        for (int s = sectors.nextSetBit(0); s >= 0; s = sectors.nextSetBit(s + 1)) {
            int from = s * (VhdLayout.SECTOR / 4);
            int to = Math.min(from + VhdLayout.SECTOR / 4, bat.size());
            ByteBuffer out = ByteBuffer.allocate((to - from) * 4);
            bat.encode(out, from, to);
            file.write(out.flip(), tableAt + 4L * from);
        }
        file.flush();
    }

    private void writeFooters(VhdFooter resized, long at) throws IOException {
        file.write(ByteBuffer.wrap(resized.toBytes()), at);
        file.flush();
        file.write(ByteBuffer.wrap(resized.toBytes()), 0);
        file.flush();
    }

    private DynamicHeader withMaxTableEntries(int entries) {
        DynamicHeader h = header;
        return new DynamicHeader(h.cookie(), h.dataOffset(), h.tableOffset(), h.headerVersion(), entries,
                h.blockSize(), 0, h.parentUniqueId(), h.parentTimestamp(), h.reserved1(), h.parentName(),
                h.parentLocators(), h.reserved2()).withChecksum();
    }
}
