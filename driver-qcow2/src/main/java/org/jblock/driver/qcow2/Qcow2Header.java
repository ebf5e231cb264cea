package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.CorruptImageException;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The qcow2 header, its extensions and the backing file name: everything the first cluster holds.
 *
 * <pre>
 * offset  size  field                      (big-endian)
 *   0      4    magic "QFI\xfb"
 *   4      4    version: 2 (compat=0.10) or 3 (compat=1.1)
 *   8      8    backing_file_offset (0: none), within the first cluster
 *  16      4    backing_file_size (at most 1023)
 *  20      4    cluster_bits (9..21)
 *  24      8    size: the virtual disk size in bytes
 *  32      4    crypt_method (0: none)
 *  36      4    l1_size: entries of the L1 table
 *  40      8    l1_table_offset (cluster aligned)
 *  48      8    refcount_table_offset (cluster aligned)
 *  56      4    refcount_table_clusters
 *  60      4    nb_snapshots
 *  64      8    snapshots_offset
 * version 3 only:
 *  72      8    incompatible_features (bit 0 dirty, 1 corrupt, 2 external data file, 3 compression
 *               type, 4 extended L2 entries)
 *  80      8    compatible_features (bit 0 lazy refcounts)
 *  88      8    autoclear_features
 *  96      4    refcount_order (refcount width = 1 &lt;&lt; order bits; version 2: 4)
 * 100      4    header_length (version 2: 72)
 * 104      1    compression_type (0: zlib), when header_length &gt; 104
 * </pre>
 * Header extensions follow at {@code header_length}, each {@code type(4) length(4) data}, data padded
 * to 8 bytes, ending with type 0: the backing file format name ({@code 0xE2792ACA}) and the feature
 * name table ({@code 0x6803f857}, 48-byte entries: type, bit, name) are understood; others are kept as
 * they are when the header is written again.
 *
 * <p>{@link #decode} checks every field before it is used; the values are immutable.
 */
record Qcow2Header(int version, long backingFileOffset, int backingFileSize, int clusterBits, long size,
                   int cryptMethod, int l1Size, long l1TableOffset, long refcountTableOffset,
                   int refcountTableClusters, int snapshotCount, long snapshotsOffset, long incompatibleFeatures,
                   long compatibleFeatures, long autoclearFeatures, int refcountOrder, int headerLength,
                   int compressionType, String backingFile, String backingFormat, List<Extension> otherExtensions) {

    static final int MAGIC = 0x514649fb;
    static final int V2_LENGTH = 72;
    static final int V3_LENGTH = 104;
    static final int MIN_CLUSTER_BITS = 9;
    static final int MAX_CLUSTER_BITS = 21;
    /** QEMU's limits: the L1 table at most 32 MiB, the refcount table at most 8 MiB. */
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final int MAX_BACKING_NAME = 1023;
    /** The largest virtual size QEMU accepts: 2^55 bytes (32 PiB), so host offsets fit in 56 bits. */
    static final long MAX_SIZE = 1L << 55;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 2;
    static final long INCOMPAT_DATA_FILE = 4;
    static final long INCOMPAT_COMPRESSION = 8;
    static final long INCOMPAT_EXTL2 = 16;
    static final long COMPAT_LAZY_REFCOUNTS = 1;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xE2792ACA;
    static final int EXT_FEATURE_TABLE = 0x6803f857;

    /** A header extension kept as it is. */
    record Extension(int type, byte[] data) {
    }

    Qcow2Header {
        otherExtensions = List.copyOf(otherExtensions);
    }

    int clusterSize() {
        return 1 << clusterBits;
    }

    /** @return L2 entries per L2 table (one cluster of 8-byte entries) */
    int l2Entries() {
        return 1 << (clusterBits - 3);
    }

    int refcountBits() {
        return 1 << refcountOrder;
    }

    /** @return the L1 entries the virtual size needs */
    static long l1EntriesFor(long size, int clusterBits) {
        long perL1 = 1L << (clusterBits + clusterBits - 3);
        return (size + perL1 - 1) / perL1;
    }

    /** @return a copy with another backing file (null: none) and format (null: none) */
    Qcow2Header withBacking(String file, String format) {
        return new Qcow2Header(version, 0, 0, clusterBits, size, cryptMethod, l1Size, l1TableOffset,
                refcountTableOffset, refcountTableClusters, snapshotCount, snapshotsOffset, incompatibleFeatures,
                compatibleFeatures, autoclearFeatures, refcountOrder, headerLength, compressionType, file,
                file == null ? null : format, otherExtensions);
    }

    Qcow2Header withL1(long newSize, int newL1Size, long newL1Offset) {
        return new Qcow2Header(version, backingFileOffset, backingFileSize, clusterBits, newSize, cryptMethod,
                newL1Size, newL1Offset, refcountTableOffset, refcountTableClusters, snapshotCount, snapshotsOffset,
                incompatibleFeatures, compatibleFeatures, autoclearFeatures, refcountOrder, headerLength,
                compressionType, backingFile, backingFormat, otherExtensions);
    }

    Qcow2Header withRefcountTable(long offset, int clusters) {
        return new Qcow2Header(version, backingFileOffset, backingFileSize, clusterBits, size, cryptMethod,
                l1Size, l1TableOffset, offset, clusters, snapshotCount, snapshotsOffset,
                incompatibleFeatures, compatibleFeatures, autoclearFeatures, refcountOrder, headerLength,
                compressionType, backingFile, backingFormat, otherExtensions);
    }

    /**
     * Decodes and checks the header at the start of {@code head} (the first cluster, or as much of the
     * file as there is).
     *
     * @throws CorruptImageException       when a field is out of range or a structure lies outside the file
     * @throws UnsupportedFeatureException when the image uses what this driver lacks
     */
    static Qcow2Header decode(ByteBuffer head, long fileSize, String file) throws IOException {
        ByteBuffer b = head.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (b.remaining() < V2_LENGTH || b.getInt(0) != MAGIC) {
            throw new CorruptImageException(file, "header", "Image is not in qcow2 format");
        }
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw new UnsupportedFeatureException("Unsupported qcow2 version " + version);
        }
        int clusterBits = b.getInt(20);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw new CorruptImageException(file, "header", "Unsupported cluster size: 2^" + Integer.toUnsignedString(clusterBits));
        }
        int clusterSize = 1 << clusterBits;
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_LENGTH;
        int compressionType = 0;
        if (version == 3) {
            if (b.remaining() < V3_LENGTH) {
                throw new CorruptImageException(file, "header", "qcow2 header too short");
            }
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < V3_LENGTH) {
                throw new CorruptImageException(file, "header", "qcow2 header too short");
            }
            if (headerLength > clusterSize || headerLength > b.remaining()) {
                throw new CorruptImageException(file, "header", "qcow2 header exceeds cluster size");
            }
            if (headerLength > V3_LENGTH) {
                compressionType = b.get(104) & 0xff;
            }
        }
        if (refcountOrder < 0 || refcountOrder > 6) {
            throw new CorruptImageException(file, "header", "Reference count entry width too large; may not exceed 64 bits");
        }
        long size = b.getLong(24);
        if (size < 0 || size > MAX_SIZE) {
            throw new CorruptImageException(file, "header", "Image size " + Long.toUnsignedString(size) + " is too large");
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        int cryptMethod = b.getInt(32);
        int l1Size = b.getInt(36);
        long l1Offset = b.getLong(40);
        long refcountOffset = b.getLong(48);
        int refcountClusters = b.getInt(56);
        int snapshots = b.getInt(60);
        long snapshotsOffset = b.getLong(64);

        if (cryptMethod != 0) {
            throw new UnsupportedFeatureException("Encrypted qcow2 images are not supported (crypt_method "
                    + Integer.toUnsignedString(cryptMethod) + ")");
        }
        long known = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
        // Extensions first: their feature names make the message about unknown features.
        List<Extension> others = new ArrayList<>();
        String backingFormat = null;
        List<byte[]> featureTable = new ArrayList<>();
        int extensionsEnd = backingOffset > 0 && backingOffset < clusterSize ? (int) backingOffset : clusterSize;
        int at = headerLength;
        int limit = Math.min(extensionsEnd, b.remaining());
        while (at + 8 <= limit) {
            int type = b.getInt(at);
            long length = Integer.toUnsignedLong(b.getInt(at + 4));
            if (type == EXT_END) {
                break;
            }
            if (length > limit - at - 8) {
                throw new CorruptImageException(file, "header extension", "ext_len too large");
            }
            byte[] data = new byte[(int) length];
            b.get(at + 8, data);
            if (type == EXT_BACKING_FORMAT) {
                backingFormat = new String(data, StandardCharsets.UTF_8);
            } else if (type == EXT_FEATURE_TABLE) {
                for (int i = 0; i + 48 <= data.length; i += 48) {
                    featureTable.add(java.util.Arrays.copyOfRange(data, i, i + 48));
                }
                others.add(new Extension(type, data));
            } else {
                others.add(new Extension(type, data));
            }
            at += 8 + (int) ((length + 7) & ~7L);
        }
        long unknown = incompatible & ~known;
        long unsupported = incompatible & (INCOMPAT_DATA_FILE | INCOMPAT_EXTL2) | unknown;
        if (incompatible != 0 && (incompatible & INCOMPAT_COMPRESSION) != 0 && compressionType == 0) {
            throw new CorruptImageException(file, "header", "Compression type incompatible feature bit must not be set"
                    + " when the compression type is zlib");
        }
        if (compressionType != 0) {
            throw new UnsupportedFeatureException("Unsupported qcow2 feature(s): compression type "
                    + (compressionType == 1 ? "zstd" : Integer.toString(compressionType)));
        }
        if (unsupported != 0) {
            throw new UnsupportedFeatureException("Unsupported qcow2 feature(s): " + featureNames(unsupported, featureTable));
        }

        if (backingOffset != 0) {
            if (backingSize < 0 || backingSize > MAX_BACKING_NAME || backingOffset < 0
                    || backingOffset > clusterSize - backingSize || backingOffset + backingSize > b.remaining()) {
                throw new CorruptImageException(file, "header", "Backing file name too long");
            }
        }
        String backingFile = null;
        if (backingOffset != 0 && backingSize > 0) {
            byte[] name = new byte[backingSize];
            b.get((int) backingOffset, name);
            backingFile = new String(name, StandardCharsets.UTF_8);
        }

        long l1Bytes = Integer.toUnsignedLong(l1Size) * 8;
        if (l1Bytes > MAX_L1_BYTES) {
            throw new CorruptImageException(file, "header", "Active L1 table too large");
        }
        if (l1Size < l1EntriesFor(size, clusterBits)) {
            throw new CorruptImageException(file, "header", "L1 table is too small");
        }
        checkTable(file, "L1 table", l1Offset, l1Bytes, clusterSize, fileSize);
        long refcountBytes = Integer.toUnsignedLong(refcountClusters) * clusterSize;
        if (refcountBytes > MAX_REFCOUNT_TABLE_BYTES) {
            throw new CorruptImageException(file, "header", "Reference count table too large");
        }
        if (refcountClusters == 0) {
            throw new CorruptImageException(file, "header", "Image does not contain a reference count table");
        }
        checkTable(file, "Reference count table", refcountOffset, refcountBytes, clusterSize, fileSize);
        if (snapshots < 0 || snapshots > 65536) {
            throw new CorruptImageException(file, "header", "Too many snapshots");
        }
        if (snapshots > 0) {
            checkTable(file, "Snapshot table", snapshotsOffset, 1, clusterSize, fileSize);
        }
        return new Qcow2Header(version, backingOffset, backingSize, clusterBits, size, cryptMethod, l1Size, l1Offset,
                refcountOffset, refcountClusters, snapshots, snapshotsOffset, incompatible, compatible, autoclear,
                refcountOrder, headerLength, compressionType, backingFile, backingFormat, others);
    }

    private static void checkTable(String file, String what, long offset, long bytes, int clusterSize, long fileSize)
            throws CorruptImageException {
        if (offset < 0 || (offset & (clusterSize - 1)) != 0) {
            throw new CorruptImageException(file, "header", what + " offset invalid");
        }
        if (bytes > 0 && (offset == 0 || offset > fileSize - bytes)) {
            throw new CorruptImageException(file, "header", what + " lies outside the image file");
        }
    }

    /** Feature names for a set of incompatible bits, from the image's feature table where it has them. */
    private static String featureNames(long bits, List<byte[]> table) {
        StringBuilder names = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            String name = null;
            for (byte[] entry : table) {
                if (entry[0] == 0 && (entry[1] & 0xff) == bit) {
                    int end = 2;
                    while (end < 48 && entry[end] != 0) {
                        end++;
                    }
                    name = new String(entry, 2, end - 2, StandardCharsets.UTF_8);
                }
            }
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(name != null ? name : bit == 2 ? "External data file" : bit == 4 ? "Extended L2 entries"
                    : "Unknown incompatible feature: " + Long.toHexString(1L << bit));
        }
        return names.toString();
    }

    /**
     * The first cluster as it is to be written: the header, the extensions (backing format, those
     * kept) and the backing file name after them.
     *
     * @throws UnsupportedFeatureException when they do not fit in the first cluster
     */
    byte[] encode() throws IOException {
        int clusterSize = clusterSize();
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        b.putInt(0, MAGIC).putInt(4, version);
        b.putInt(20, clusterBits).putLong(24, size).putInt(32, cryptMethod).putInt(36, l1Size).putLong(40, l1TableOffset)
                .putLong(48, refcountTableOffset).putInt(56, refcountTableClusters).putInt(60, snapshotCount)
                .putLong(64, snapshotsOffset);
        int length = V2_LENGTH;
        if (version == 3) {
            length = headerLength;
            b.putLong(72, incompatibleFeatures).putLong(80, compatibleFeatures).putLong(88, autoclearFeatures)
                    .putInt(96, refcountOrder).putInt(100, headerLength);
            if (headerLength > V3_LENGTH) {
                b.put(104, (byte) compressionType);
            }
        }
        int at = length;
        List<Extension> all = new ArrayList<>();
        if (backingFormat != null && backingFile != null) {
            all.add(new Extension(EXT_BACKING_FORMAT, backingFormat.getBytes(StandardCharsets.UTF_8)));
        }
        all.addAll(otherExtensions);
        byte[] name = backingFile == null ? new byte[0] : backingFile.getBytes(StandardCharsets.UTF_8);
        long needed = needed(at, all, name);
        if (needed > clusterSize) {
            // The feature name table only explains feature bits: it gives way to the backing file.
            all.removeIf(e -> e.type() == EXT_FEATURE_TABLE);
            needed = needed(at, all, name);
        }
        if (name.length > MAX_BACKING_NAME || needed > clusterSize) {
            throw new UnsupportedFeatureException("The backing file name and header extensions do not fit in the"
                    + " first cluster (" + clusterSize + " bytes)");
        }
        for (Extension e : all) {
            b.putInt(at, e.type()).putInt(at + 4, e.data().length);
            b.put(at + 8, e.data());
            at += 8 + ((e.data().length + 7) & ~7);
        }
        b.putInt(at, EXT_END).putInt(at + 4, 0);
        at += 8;
        if (name.length > 0) {
            b.put(at, name);
            b.putLong(8, at).putInt(16, name.length);
        }
        return b.array();
    }

    private static long needed(int headerLength, List<Extension> extensions, byte[] name) {
        long needed = headerLength + 8L + name.length;
        for (Extension e : extensions) {
            needed += 8 + ((e.data().length + 7) & ~7);
        }
        return needed;
    }

    /** The feature name table QEMU writes in version 3 images: what each feature bit means. */
    static Extension featureTable() {
        String[][] names = {
            {"0", "0", "dirty bit"}, {"0", "1", "corrupt bit"}, {"0", "2", "external data file"},
            {"0", "3", "compression type"}, {"0", "4", "extended L2 entries"}, {"1", "0", "lazy refcounts"},
            {"2", "0", "bitmaps"}, {"2", "1", "raw external data"}};
        byte[] data = new byte[names.length * 48];
        for (int i = 0; i < names.length; i++) {
            data[i * 48] = (byte) Integer.parseInt(names[i][0]);
            data[i * 48 + 1] = (byte) Integer.parseInt(names[i][1]);
            byte[] text = names[i][2].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(text, 0, data, i * 48 + 2, text.length);
        }
        return new Extension(EXT_FEATURE_TABLE, data);
    }
}
