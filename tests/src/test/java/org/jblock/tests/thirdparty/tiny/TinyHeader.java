package org.jblock.tests.thirdparty.tiny;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

import org.jblock.api.CorruptImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The header of a tiny image, the first {@value #SIZE} bytes of the file, big-endian:
 *
 * <pre>
 * offset  size  field
 *      0     8  magic        "TINYDISK"
 *      8     4  version      1
 *     12     4  header_size  512: where the data starts
 *     16     8  disk_size    the virtual size in bytes
 *     24     4  checksum     CRC-32 of bytes 0..23
 *     28   484  reserved     zero
 * </pre>
 *
 * The virtual disk follows the header byte for byte.
 *
 * @param diskSize the virtual size in bytes
 */
record TinyHeader(long diskSize) {
    static final int SIZE = 512;
    static final int VERSION = 1;
    private static final byte[] MAGIC = "TINYDISK".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECKED_BYTES = 24;
    private static final int VERSION_AT = 8;
    private static final int HEADER_SIZE_AT = 12;
    private static final int DISK_SIZE_AT = 16;
    private static final int CHECKSUM_AT = 24;
    private static final String STRUCTURE = "tiny header";

    /** @return whether {@code head} starts with the magic */
    static boolean startsWithMagic(ByteBuffer head) {
        return head.remaining() >= MAGIC.length
                && head.slice(head.position(), MAGIC.length).equals(ByteBuffer.wrap(MAGIC));
    }

    /** @return the header's {@value #SIZE} bytes */
    ByteBuffer encode() {
        ByteBuffer out = ByteBuffer.allocate(SIZE);
        out.put(0, MAGIC).putInt(VERSION_AT, VERSION).putInt(HEADER_SIZE_AT, SIZE).putLong(DISK_SIZE_AT, diskSize);
        out.putInt(CHECKSUM_AT, checksum(out));
        return out;
    }

    /**
     * Reads and checks a header.
     *
     * @param in       the first {@value #SIZE} bytes of the file
     * @param fileName the file, for messages
     * @param fileSize the file's length, which must hold the whole disk
     */
    static TinyHeader decode(ByteBuffer in, String fileName, long fileSize)
            throws CorruptImageException, UnsupportedFeatureException {
        byte[] magic = new byte[MAGIC.length];
        in.get(0, magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptImageException(fileName, STRUCTURE, "magic", 0, "Not a tiny image",
                    "TINYDISK", new String(magic, StandardCharsets.ISO_8859_1));
        }
        int storedChecksum = in.getInt(CHECKSUM_AT);
        if (storedChecksum != checksum(in)) {
            throw new CorruptImageException(fileName, STRUCTURE, "checksum", CHECKSUM_AT, "Header checksum mismatch",
                    hex(checksum(in)), hex(storedChecksum));
        }
        int version = in.getInt(VERSION_AT);
        if (version != VERSION) {
            throw new UnsupportedFeatureException(fileName + ": tiny version " + version + " is not supported (only "
                    + VERSION + ")");
        }
        int headerSize = in.getInt(HEADER_SIZE_AT);
        if (headerSize != SIZE) {
            throw new CorruptImageException(fileName, STRUCTURE, "header_size", HEADER_SIZE_AT, "Invalid header size",
                    String.valueOf(SIZE), String.valueOf(headerSize));
        }
        long diskSize = in.getLong(DISK_SIZE_AT);
        if (diskSize < 0 || diskSize > fileSize - SIZE) {
            throw new CorruptImageException(fileName, STRUCTURE, "disk_size", DISK_SIZE_AT,
                    "Disk size does not fit the file", "0 to " + Math.max(0, fileSize - SIZE), String.valueOf(diskSize));
        }
        return new TinyHeader(diskSize);
    }

    private static int checksum(ByteBuffer header) {
        CRC32 crc = new CRC32();
        crc.update(header.slice(0, CHECKED_BYTES));
        return (int) crc.getValue();
    }

    private static String hex(int value) {
        return String.format("0x%08x", value);
    }
}
