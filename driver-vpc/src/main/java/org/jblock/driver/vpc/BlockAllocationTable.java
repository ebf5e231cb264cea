package org.jblock.driver.vpc;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jblock.api.BlockFile;

/**
 * The BAT in memory: one {@code int} a block, the block's sector number in the file (u32), or
 * {@link #UNALLOCATED}. Four bytes a block and nothing else.
 *
 * <p>Entries are read with acquire and written with release semantics, so a reader that sees a new
 * entry also sees the bitmap and footer written before it was published; readers take no lock.
 * Writers are serialized by the image's allocation lock.
 */
final class BlockAllocationTable {
    static final int UNALLOCATED = 0xFFFFFFFF;
    private static final int READ_CHUNK = 64 * 1024;
    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);

    private final int[] entries;

    private BlockAllocationTable(int[] entries) {
        this.entries = entries;
    }

    /**
     * @return a copy with {@code count} entries: these, then unallocated ones (for resize, under the
     *         allocation lock)
     */
    BlockAllocationTable resized(int count) {
        int[] copy = java.util.Arrays.copyOf(entries, count);
        if (count > entries.length) {
            java.util.Arrays.fill(copy, entries.length, count, UNALLOCATED);
        }
        return new BlockAllocationTable(copy);
    }

    /** @return an independent copy */
    BlockAllocationTable copy() {
        return resized(entries.length);
    }

    /** Reads {@code count} big-endian entries from {@code src}'s position, advancing it. */
    static BlockAllocationTable decode(ByteBuffer src, int count) {
        int[] entries = new int[count];
        src.slice(src.position(), count * 4).order(ByteOrder.BIG_ENDIAN).asIntBuffer().get(entries);
        src.position(src.position() + count * 4);
        return new BlockAllocationTable(entries);
    }

    /**
     * Reads {@code count} entries at {@code position} in chunks, so the only allocation proportional
     * to the table is the table itself.
     */
    static BlockAllocationTable read(BlockFile file, long position, int count) throws IOException {
        int[] entries = new int[count];
        ByteBuffer chunk = ByteBuffer.allocate(READ_CHUNK).order(ByteOrder.BIG_ENDIAN);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, READ_CHUNK / 4);
            chunk.clear().limit(n * 4);
            file.readFully(chunk, position + 4L * done);
            chunk.flip().asIntBuffer().get(entries, done, n);
            done += n;
        }
        return new BlockAllocationTable(entries);
    }

    /** Writes entries {@code [from, to)} big-endian at {@code dst}'s position, advancing it. */
    void encode(ByteBuffer dst, int from, int to) {
        ByteBuffer out = dst.order(ByteOrder.BIG_ENDIAN);
        for (int i = from; i < to; i++) {
            out.putInt(get(i));
        }
    }

    int size() {
        return entries.length;
    }

    int get(int index) {
        return (int) ENTRY.getAcquire(entries, index);
    }

    void set(int index, int sector) {
        ENTRY.setRelease(entries, index, sector);
    }

    boolean isAllocated(int index) {
        return get(index) != UNALLOCATED;
    }

    /** @return the file offset of the block's sector bitmap; the entry must be allocated */
    long blockOffset(int index) {
        return Integer.toUnsignedLong(get(index)) << VhdLayout.SECTOR_SHIFT;
    }

    int allocatedCount() {
        int n = 0;
        for (int i = 0; i < entries.length; i++) {
            if (isAllocated(i)) {
                n++;
            }
        }
        return n;
    }
}
