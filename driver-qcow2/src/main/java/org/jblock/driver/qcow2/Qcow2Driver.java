package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.Options;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/**
 * QEMU's copy-on-write format, qcow2 (versions 2 and 3). The options, defaults and limits are
 * documented on the module.
 */
public final class Qcow2Driver implements BlockDriver {
    static final OptionSpec<String> COMPAT = OptionSpec.choice("compat", "1.1",
            "Compatibility level: 0.10 (version 2, read by old QEMU) or 1.1 (version 3: zero clusters)",
            "0.10", "1.1", "v2", "v3");
    static final OptionSpec<Long> CLUSTER_SIZE = OptionSpec.size("cluster_size", 65536L,
            "qcow2 cluster size: a power of two from 512 to 2M");
    static final OptionSpec<Boolean> LAZY_REFCOUNTS = OptionSpec.bool("lazy_refcounts", false,
            "Postpone refcount updates (not supported: only off)");
    static final OptionSpec<Long> REFCOUNT_BITS = OptionSpec.integer("refcount_bits", 16L,
            "Width of a reference count entry in bits: a power of two from 1 to 64 (version 2: 16 only)");

    public Qcow2Driver() {
    }

    @Override
    public String name() {
        return "qcow2";
    }

    @Override
    public String description() {
        return "QEMU copy-on-write version 2 (qcow2): versions 2 and 3, backing files, zero and compressed clusters";
    }

    /** The magic {@code QFI\xfb} and a version this driver knows (2 or 3) at offset 0. */
    @Override
    public int probe(ProbeInput input) {
        ByteBuffer head = input.head();
        if (head.remaining() < 8) {
            return 0;
        }
        byte[] first = new byte[8];
        head.get(0, first);
        ByteBuffer b = ByteBuffer.wrap(first);
        if (b.getInt(0) != Qcow2Header.MAGIC) {
            return 0;
        }
        int version = b.getInt(4);
        return version == 2 || version == 3 ? PROBE_CERTAIN : 0;
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        BlockFile file = request.file();
        long fileSize = file.size();
        ByteBuffer start = ByteBuffer.allocate((int) Math.min(fileSize, Qcow2Header.V3_LENGTH));
        file.readFully(start, 0);
        start.flip();
        if (start.remaining() < Qcow2Header.V2_LENGTH || start.getInt(0) != Qcow2Header.MAGIC) {
            throw new CorruptImageException(file.name(), "header", "Image is not in qcow2 format");
        }
        int clusterBits = start.getInt(20);
        int headBytes = clusterBits >= Qcow2Header.MIN_CLUSTER_BITS && clusterBits <= Qcow2Header.MAX_CLUSTER_BITS
                ? (int) Math.min(fileSize, 1L << clusterBits) : start.remaining();
        ByteBuffer head = ByteBuffer.allocate(headBytes);
        file.readFully(head, 0);
        Qcow2Header header = Qcow2Header.decode(head.flip(), fileSize, file.name());
        if (!request.readOnly()) {
            if ((header.incompatibleFeatures() & Qcow2Header.INCOMPAT_CORRUPT) != 0) {
                throw new CorruptImageException(file.name(), "header", "qcow2: Image is corrupt; cannot be opened"
                        + " read/write");
            }
            if ((header.incompatibleFeatures() & Qcow2Header.INCOMPAT_DIRTY) != 0) {
                throw new UnsupportedFeatureException("The image is dirty (its refcounts were not written: lazy"
                        + " refcounts); open it read-only, or repair it with 'check -r all' in QEMU");
            }
            if (header.snapshotCount() > 0) {
                throw new UnsupportedFeatureException("Writing to qcow2 images with internal snapshots is not"
                        + " supported; open it read-only");
            }
        }
        Qcow2Image image = new Qcow2Image(file, request.readOnly(), header);
        if (header.backingFile() != null) {
            if (request.backing().opensBacking()) {
                image.attachBacking(request.backing().open(header.backingFile(), header.backingFormat()));
            } else {
                image.backingNotOpened();
            }
        }
        return image;
    }

    @Override
    public boolean supportsBacking() {
        return true;
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        Options options = request.options();
        String compat = options.get(COMPAT);
        int version = compat.equals("0.10") || compat.equals("v2") ? 2 : 3;
        long clusterSize = options.get(CLUSTER_SIZE);
        if (clusterSize < 512 || clusterSize > (2 << 20) || Long.bitCount(clusterSize) != 1) {
            throw new InvalidOptionException("Cluster size must be a power of two between 512 and 2048k");
        }
        if (options.get(LAZY_REFCOUNTS)) {
            throw new InvalidOptionException("lazy_refcounts=on is not supported");
        }
        long refcountBits = options.get(REFCOUNT_BITS);
        if (refcountBits < 1 || refcountBits > 64 || Long.bitCount(refcountBits) != 1) {
            throw new InvalidOptionException("Refcount width must be a power of two and may not exceed 64 bits");
        }
        if (version == 2 && refcountBits != 16) {
            throw new InvalidOptionException("Different refcount widths than 16 bits require compatibility level 1.1"
                    + " or above (use compat=1.1 or greater)");
        }
        // As qemu-img does, a size between sectors is rounded up to the next whole sector.
        long size = request.size() > Qcow2Header.MAX_SIZE ? request.size() : (request.size() + 511) & ~511L;
        if (size < 0 || size > Qcow2Header.MAX_SIZE) {
            throw new InvalidOptionException("Image size is too large for this cluster size");
        }
        String backingName = null;
        String backingFormat = null;
        if (request.backing() != null) {
            backingName = request.backing().name();
            backingFormat = request.backing().image().info().format();
        }
        Qcow2Creator.create(request.file(), size, version, Long.numberOfTrailingZeros(clusterSize),
                Long.numberOfTrailingZeros(refcountBits), backingName, backingFormat);
    }

    @Override
    public List<OptionSpec<?>> createOptions() {
        return List.of(COMPAT, CLUSTER_SIZE, LAZY_REFCOUNTS, REFCOUNT_BITS);
    }
}
