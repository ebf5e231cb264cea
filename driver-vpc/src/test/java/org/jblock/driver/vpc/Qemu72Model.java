package org.jblock.driver.vpc;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What qemu-img 7.2 reads from a VHD, modelled on its {@code block/vpc.c} as the project's reference
 * describes it (footer copy at offset 0, else a fixed footer at the end; the footer checksum; the
 * 7.2 size rule; the dynamic header's magic, block size and table checks; the BAT read past the end
 * as zeros; {@code free_data_block_offset} against the file length; blocks read whole, bitmap
 * ignored). The repair sweep uses it for thousands of images; a sample of them is read by the real
 * qemu-img to prove the model.
 */
final class Qemu72Model {
    private static final long VHD_MAX_SECTORS = 0xFF000000L;

    /** What QEMU reads: the disk (up to a cap), and which bytes come from a block's data. */
    record Read(long virtualSize, byte[] disk, boolean[] dataSectors) {
    }

    private Qemu72Model() {
    }

    /** @return the first {@code cap} bytes QEMU reads from {@code file}, or null when it refuses to open it */
    static Read read(byte[] file, int cap) {
        long length = VhdLayout.roundUp(file.length, 512);
        if (file.length == 0) {
            return null;
        }
        byte[] first = slice(file, 0, 512);
        VhdFooter footer = VhdFooter.decode(first);
        boolean fixed = false;
        if (!footer.hasValidCookie()) {
            footer = VhdFooter.decode(slice(file, length - 512, 512));
            if (!footer.hasValidCookie() || footer.diskType() != VhdFooter.TYPE_FIXED) {
                return null;
            }
            fixed = true;
        }
        if (!footer.hasValidChecksum()) {
            return null;
        }
        long sectors = footer.geometry().totalSectors();
        int app = footer.creatorApp();
        boolean currentSize = footer.geometry().isMax() || app == VhdFooter.fourCC("win ")
                || app == VhdFooter.fourCC("qem2") || app == VhdFooter.fourCC("d2v ")
                || app == VhdFooter.fourCC("CTXS") || app == VhdFooter.fourCC("tap\0");
        if (currentSize) {
            sectors = Long.divideUnsigned(footer.currentSize(), 512);
        }
        if (Long.compareUnsigned(sectors, VHD_MAX_SECTORS) > 0) {
            return null;
        }
        long size = sectors * 512;
        int n = (int) Math.min(cap, size);
        byte[] disk = new byte[n];
        boolean[] data = new boolean[(n + 511) / 512];
        if (fixed) {
            System.arraycopy(slice(file, 0, n), 0, disk, 0, n);
            Arrays.fill(data, true);
            return new Read(size, disk, data);
        }
        long headerAt = footer.dataOffset();
        if (headerAt < 0) {
            return null;
        }
        DynamicHeader header = DynamicHeader.decode(ByteBuffer.wrap(slice(file, headerAt, 1024)));
        if (header.cookie() != DynamicHeader.COOKIE) {
            return null;
        }
        long blockSize = header.blockSizeUnsigned();
        if (Long.bitCount(blockSize) != 1 || blockSize < 512) {
            return null;
        }
        long bitmapSize = ((blockSize / (8 * 512)) + 511) & ~511L;
        long entries = header.maxTableEntriesUnsigned();
        if (size / blockSize > 0xFFFFFFFFL || (entries < 0x80000000L && entries * blockSize < size)
                || entries > Integer.MAX_VALUE / 4) {
            return null;
        }
        long tableAt = header.tableOffset();
        if (tableAt < 0) {
            return null;
        }
        long free = VhdLayout.roundUp(tableAt + entries * 4, 512);
        long inFile = Math.max(0, Math.min(entries, (file.length - tableAt) / 4));
        ByteBuffer table = ByteBuffer.wrap(slice(file, tableAt, (int) (inFile * 4)));
        int[] bat = new int[(int) Math.min(entries, VhdLayout.ceilDiv(n, blockSize))];
        for (long i = 0; i < inFile; i++) {
            int entry = table.getInt((int) (i * 4));
            if (i < bat.length) {
                bat[(int) i] = entry;
            }
            if (entry != -1) {
                free = Math.max(free, Integer.toUnsignedLong(entry) * 512 + bitmapSize + blockSize);
            }
        }
        if (inFile < entries) {
            // Entries past the end of the file read as zeros: blocks at sector 0.
            free = Math.max(free, bitmapSize + blockSize);
        }
        if (free > length) {
            return null;
        }
        for (int block = 0; (long) block * blockSize < n; block++) {
            int entry = bat[block];
            if (entry == -1) {
                continue;
            }
            long from = (long) block * blockSize;
            int count = (int) Math.min(blockSize, n - from);
            long at = Integer.toUnsignedLong(entry) * 512 + bitmapSize;
            System.arraycopy(slice(file, at, count), 0, disk, (int) from, count);
            Arrays.fill(data, (int) (from / 512), (int) ((from + count + 511) / 512), true);
        }
        return new Read(size, disk, data);
    }

    /** @return {@code length} bytes of {@code file} at {@code at}, zeros past its end */
    private static byte[] slice(byte[] file, long at, int length) {
        byte[] out = new byte[length];
        if (at < file.length) {
            int n = (int) Math.min(length, file.length - at);
            System.arraycopy(file, (int) at, out, 0, n);
        }
        return out;
    }
}
