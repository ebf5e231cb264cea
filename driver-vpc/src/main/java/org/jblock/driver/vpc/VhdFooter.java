package org.jblock.driver.vpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The VHD footer ("hard disk footer"): 512 bytes, big-endian, at the end of every image and, for
 * dynamic images, copied at offset 0.
 *
 * <pre>
 * offset size  field
 *    0     8   cookie            "conectix"
 *    8     4   features          0x2 always set; 0x1 temporary
 *   12     4   format version    0x00010000
 *   16     8   data offset       dynamic header offset; all ones for a fixed image
 *   24     4   timestamp         seconds since 2000-01-01T00:00:00Z
 *   28     4   creator app       "vpc ", "win ", "qemu", "d2v\0", ...
 *   32     4   creator version   major u16, minor u16
 *   36     4   creator host OS   "Wi2k", "Mac "
 *   40     8   original size     bytes (libvhdi takes the size from here)
 *   48     8   current size      bytes (Hyper-V and most readers take the size from here)
 *   56     4   geometry          cylinders u16, heads u8, sectors per track u8
 *   60     4   disk type         2 fixed, 3 dynamic, 4 differencing
 *   64     4   checksum          see {@link VhdChecksum}
 *   68    16   unique id         UUID
 *   84     1   saved state
 *   85   427   reserved          kept as found (blktap keeps a "hidden" flag at 85)
 * </pre>
 *
 * <p>Decoding accepts any bytes; validation is a separate step ({@link VhdOpener}), so that a checker
 * can look at a damaged footer.
 */
record VhdFooter(long cookie, int features, int formatVersion, long dataOffset, int timestamp,
                 int creatorApp, int creatorVersion, int creatorOs, long originalSize, long currentSize,
                 Geometry geometry, int diskType, int checksum, UUID uniqueId, byte savedState,
                 byte[] reserved) {

    static final int SIZE = 512;
    /** The footer of Virtual PC before 2004 lacks its last (reserved) byte. */
    static final int SHORT_SIZE = 511;
    private static final int CREATOR_VPC = fourCC("vpc ");
    private static final int CREATOR_QEMU = fourCC("qemu");
    static final long COOKIE = (long) fourCC("cone") << 32 | (fourCC("ctix") & 0xFFFFFFFFL);
    static final int FEATURE_RESERVED = 0x2;
    static final int VERSION_1_0 = 0x00010000;
    static final long NO_DATA_OFFSET = -1L;

    static final int TYPE_FIXED = 2;
    static final int TYPE_DYNAMIC = 3;
    static final int TYPE_DIFFERENCING = 4;

    static final int OFFSET_DATA_OFFSET = 16;
    static final int OFFSET_CURRENT_SIZE = 48;
    static final int OFFSET_DISK_TYPE = 60;
    static final int OFFSET_CHECKSUM = 64;
    private static final int RESERVED_OFFSET = 85;
    private static final int RESERVED_SIZE = SIZE - RESERVED_OFFSET;

    /** Seconds between 1970-01-01 and 2000-01-01, the VHD epoch. */
    static final long EPOCH_SECONDS = 946_684_800L;

    VhdFooter {
        Objects.requireNonNull(geometry);
        Objects.requireNonNull(uniqueId);
        reserved = reserved.length == RESERVED_SIZE ? reserved.clone() : Arrays.copyOf(reserved, RESERVED_SIZE);
    }

    @Override
    public byte[] reserved() {
        return reserved.clone();
    }

    /** Reads {@value #SIZE} bytes from {@code src}'s position, advancing it. Never fails on content. */
    static VhdFooter decode(ByteBuffer src) {
        ByteBuffer in = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        src.position(src.position() + SIZE);
        long cookie = in.getLong(0);
        byte[] reserved = new byte[RESERVED_SIZE];
        in.get(RESERVED_OFFSET, reserved);
        return new VhdFooter(cookie, in.getInt(8), in.getInt(12), in.getLong(16), in.getInt(24), in.getInt(28),
                in.getInt(32), in.getInt(36), in.getLong(40), in.getLong(48), Geometry.decode(in.getInt(56)),
                in.getInt(60), in.getInt(64), new UUID(in.getLong(68), in.getLong(76)), in.get(84), reserved);
    }

    /** Decodes a footer from a whole 512-byte array, or a 511-byte one padded with a zero byte. */
    static VhdFooter decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(Arrays.copyOf(bytes, SIZE)));
    }

    /** Writes {@value #SIZE} bytes at {@code dst}'s position, advancing it; the checksum as stored. */
    void encode(ByteBuffer dst) {
        ByteBuffer out = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        dst.position(dst.position() + SIZE);
        out.putLong(0, cookie).putInt(8, features).putInt(12, formatVersion).putLong(16, dataOffset)
                .putInt(24, timestamp).putInt(28, creatorApp).putInt(32, creatorVersion).putInt(36, creatorOs)
                .putLong(40, originalSize).putLong(48, currentSize).putInt(56, geometry.encode())
                .putInt(60, diskType).putInt(64, checksum)
                .putLong(68, uniqueId.getMostSignificantBits()).putLong(76, uniqueId.getLeastSignificantBits())
                .put(84, savedState).put(RESERVED_OFFSET, reserved);
    }

    byte[] toBytes() {
        byte[] bytes = new byte[SIZE];
        encode(ByteBuffer.wrap(bytes));
        return bytes;
    }

    /** @return the checksum the content calls for */
    int computeChecksum() {
        return VhdChecksum.compute(ByteBuffer.wrap(toBytes()), OFFSET_CHECKSUM);
    }

    boolean hasValidCookie() {
        return cookie == COOKIE;
    }

    boolean hasValidChecksum() {
        return checksum == computeChecksum();
    }

    /** @return this footer with the checksum its content calls for */
    VhdFooter withChecksum() {
        return withSize(currentSize, originalSize, geometry);
    }

    /** @return a copy with new sizes and geometry and a correct checksum (for resize) */
    VhdFooter withSize(long newCurrentSize, long newOriginalSize, Geometry newGeometry) {
        VhdFooter unsummed = new VhdFooter(cookie, features, formatVersion, dataOffset, timestamp, creatorApp,
                creatorVersion, creatorOs, newOriginalSize, newCurrentSize, newGeometry, diskType, 0, uniqueId,
                savedState, reserved);
        return new VhdFooter(cookie, features, formatVersion, dataOffset, timestamp, creatorApp,
                creatorVersion, creatorOs, newOriginalSize, newCurrentSize, newGeometry, diskType,
                unsummed.computeChecksum(), uniqueId, savedState, reserved);
    }

    /**
     * QEMU's size rule (10.x): Virtual PC ({@code vpc }) and QEMU ({@code qemu}) size their disks by
     * the CHS geometry, every other creator (Hyper-V, Disk2vhd, XenServer, Azure, qemu-img with
     * force_size, jblock) by the current size; the maximum geometry always means the current size.
     *
     * @return whether, unless told otherwise, the virtual size is the geometry's
     */
    boolean sizedByGeometry() {
        return !geometry.isMax() && (creatorApp == CREATOR_VPC || creatorApp == CREATOR_QEMU);
    }

    /** @return the creator application as text, with non-printable bytes escaped ({@code d2v\0}) */
    String creatorAppText() {
        return fourCCText(creatorApp);
    }

    String creatorOsText() {
        return fourCCText(creatorOs);
    }

    /** @return the creator version as major.minor */
    String creatorVersionText() {
        return (creatorVersion >>> 16) + "." + (creatorVersion & 0xFFFF);
    }

    Instant creationTime() {
        return Instant.ofEpochSecond(EPOCH_SECONDS + Integer.toUnsignedLong(timestamp));
    }

    String diskTypeName() {
        switch (diskType) {
            case TYPE_FIXED: return "fixed";
            case TYPE_DYNAMIC: return "dynamic";
            case TYPE_DIFFERENCING: return "differencing";
            default: return "unknown (" + Integer.toUnsignedString(diskType) + ")";
        }
    }

    /** Four ASCII characters as the big-endian u32 the VHD stores them as. */
    static int fourCC(String text) {
        byte[] b = Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), 4);
        return ByteBuffer.wrap(b).getInt();
    }

    static String fourCCText(int value) {
        StringBuilder sb = new StringBuilder(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            int c = (value >>> shift) & 0xFF;
            if (c >= 0x20 && c < 0x7F) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\%o", c));
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VhdFooter && Arrays.equals(toBytes(), ((VhdFooter) o).toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toBytes());
    }

    @Override
    public String toString() {
        return "VhdFooter[type=" + diskTypeName() + ", creator=" + creatorAppText() + ", current=" + currentSize
                + ", original=" + originalSize + ", geometry=" + geometry + ", dataOffset=" + dataOffset + "]";
    }
}
