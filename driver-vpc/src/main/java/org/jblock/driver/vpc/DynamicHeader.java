package org.jblock.driver.vpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The dynamic disk header: 1024 bytes, big-endian, at the footer's data offset (512 in practice).
 *
 * <pre>
 * offset size  field
 *    0     8   cookie              "cxsparse"
 *    8     8   data offset         unused, all ones
 *   16     8   table offset        absolute offset of the BAT
 *   24     4   header version      0x00010000
 *   28     4   max table entries   BAT entries (u32)
 *   32     4   block size          data bytes per block, excluding the sector bitmap (u32)
 *   36     4   checksum            see {@link VhdChecksum}
 *   40    16   parent unique id
 *   56     4   parent timestamp
 *   60     4   reserved
 *   64   512   parent unicode name UTF-16BE, NUL-padded
 *  576   192   parent locators     8 × {@link ParentLocator}
 *  768   256   reserved
 * </pre>
 *
 * <p>The parent fields are parsed and kept as found so that differencing images can be built on
 * them. Decoding accepts any bytes; validation is {@link VhdOpener}'s step.
 */
record DynamicHeader(long cookie, long dataOffset, long tableOffset, int headerVersion, int maxTableEntries,
                     int blockSize, int checksum, UUID parentUniqueId, int parentTimestamp, int reserved1,
                     byte[] parentName, List<ParentLocator> parentLocators, byte[] reserved2) {

    static final int SIZE = 1024;
    static final long COOKIE = (long) VhdFooter.fourCC("cxsp") << 32 | (VhdFooter.fourCC("arse") & 0xFFFFFFFFL);
    static final int VERSION_1_0 = 0x00010000;

    static final int OFFSET_TABLE_OFFSET = 16;
    static final int OFFSET_MAX_TABLE_ENTRIES = 28;
    static final int OFFSET_BLOCK_SIZE = 32;
    static final int OFFSET_CHECKSUM = 36;
    private static final int PARENT_NAME_OFFSET = 64;
    private static final int PARENT_NAME_SIZE = 512;
    private static final int LOCATORS_OFFSET = 576;
    private static final int LOCATOR_COUNT = 8;
    private static final int RESERVED2_OFFSET = 768;
    private static final int RESERVED2_SIZE = 256;

    /**
     * A parent locator entry (24 bytes): where a differencing image finds its parent's path.
     *
     * @param platformCode "W2ku", "W2ru", "MacX", ... or 0 when unused
     * @param dataSpace    space reserved for the data (sectors per the specification, bytes in practice)
     * @param dataLength   bytes of locator data
     * @param reserved     zero
     * @param dataOffset   absolute offset of the locator data
     */
    record ParentLocator(int platformCode, int dataSpace, int dataLength, int reserved, long dataOffset) {
        static final int SIZE = 24;
    }

    DynamicHeader {
        Objects.requireNonNull(parentUniqueId);
        parentName = Arrays.copyOf(parentName, PARENT_NAME_SIZE);
        parentLocators = List.copyOf(parentLocators);
        reserved2 = Arrays.copyOf(reserved2, RESERVED2_SIZE);
    }

    @Override
    public byte[] parentName() {
        return parentName.clone();
    }

    @Override
    public byte[] reserved2() {
        return reserved2.clone();
    }

    /** A fresh header with no parent, for a new dynamic image. */
    static DynamicHeader create(long tableOffset, int maxTableEntries, int blockSize) {
        List<ParentLocator> none = new ArrayList<>();
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            none.add(new ParentLocator(0, 0, 0, 0, 0));
        }
        DynamicHeader unsummed = new DynamicHeader(COOKIE, -1L, tableOffset, VERSION_1_0, maxTableEntries, blockSize,
                0, new UUID(0, 0), 0, 0, new byte[0], none, new byte[0]);
        return unsummed.withChecksum();
    }

    /** Reads {@value #SIZE} bytes from {@code src}'s position, advancing it. Never fails on content. */
    static DynamicHeader decode(ByteBuffer src) {
        ByteBuffer in = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        src.position(src.position() + SIZE);
        byte[] name = new byte[PARENT_NAME_SIZE];
        in.get(PARENT_NAME_OFFSET, name);
        List<ParentLocator> locators = new ArrayList<>(LOCATOR_COUNT);
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            int at = LOCATORS_OFFSET + i * ParentLocator.SIZE;
            locators.add(new ParentLocator(in.getInt(at), in.getInt(at + 4), in.getInt(at + 8), in.getInt(at + 12),
                    in.getLong(at + 16)));
        }
        byte[] reserved2 = new byte[RESERVED2_SIZE];
        in.get(RESERVED2_OFFSET, reserved2);
        return new DynamicHeader(in.getLong(0), in.getLong(8), in.getLong(16), in.getInt(24), in.getInt(28),
                in.getInt(32), in.getInt(36), new UUID(in.getLong(40), in.getLong(48)), in.getInt(56), in.getInt(60),
                name, locators, reserved2);
    }

    /** Writes {@value #SIZE} bytes at {@code dst}'s position, advancing it; the checksum as stored. */
    void encode(ByteBuffer dst) {
        ByteBuffer out = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        dst.position(dst.position() + SIZE);
        out.putLong(0, cookie).putLong(8, dataOffset).putLong(16, tableOffset).putInt(24, headerVersion)
                .putInt(28, maxTableEntries).putInt(32, blockSize).putInt(36, checksum)
                .putLong(40, parentUniqueId.getMostSignificantBits())
                .putLong(48, parentUniqueId.getLeastSignificantBits())
                .putInt(56, parentTimestamp).putInt(60, reserved1).put(PARENT_NAME_OFFSET, parentName);
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            ParentLocator l = i < parentLocators.size() ? parentLocators.get(i) : new ParentLocator(0, 0, 0, 0, 0);
            int at = LOCATORS_OFFSET + i * ParentLocator.SIZE;
            out.putInt(at, l.platformCode()).putInt(at + 4, l.dataSpace()).putInt(at + 8, l.dataLength())
                    .putInt(at + 12, l.reserved()).putLong(at + 16, l.dataOffset());
        }
        out.put(RESERVED2_OFFSET, reserved2);
    }

    byte[] toBytes() {
        byte[] bytes = new byte[SIZE];
        encode(ByteBuffer.wrap(bytes));
        return bytes;
    }

    int computeChecksum() {
        return VhdChecksum.compute(ByteBuffer.wrap(toBytes()), OFFSET_CHECKSUM);
    }

    boolean hasValidChecksum() {
        return checksum == computeChecksum();
    }

    DynamicHeader withChecksum() {
        return new DynamicHeader(cookie, dataOffset, tableOffset, headerVersion, maxTableEntries, blockSize,
                computeChecksum(), parentUniqueId, parentTimestamp, reserved1, parentName, parentLocators, reserved2);
    }

    /** @return max table entries as the unsigned number it is */
    long maxTableEntriesUnsigned() {
        return Integer.toUnsignedLong(maxTableEntries);
    }

    /** @return block size as the unsigned number it is */
    long blockSizeUnsigned() {
        return Integer.toUnsignedLong(blockSize);
    }

    /** @return the parent's name (UTF-16BE up to the first NUL), empty when there is none */
    String parentNameText() {
        String text = new String(parentName, StandardCharsets.UTF_16BE);
        int nul = text.indexOf('\0');
        return nul < 0 ? text : text.substring(0, nul);
    }

    /** @return the size of the sector bitmap in front of each block: one bit a sector, padded to 512 bytes */
    static int bitmapSize(int blockSize) {
        long sectors = Integer.toUnsignedLong(blockSize) / VhdLayout.SECTOR;
        long bytes = (sectors + 7) / 8;
        return (int) ((bytes + VhdLayout.SECTOR - 1) / VhdLayout.SECTOR * VhdLayout.SECTOR);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DynamicHeader && Arrays.equals(toBytes(), ((DynamicHeader) o).toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toBytes());
    }

    @Override
    public String toString() {
        return "DynamicHeader[table=" + tableOffset + ", maxTableEntries=" + maxTableEntriesUnsigned()
                + ", blockSize=" + blockSizeUnsigned() + "]";
    }
}
