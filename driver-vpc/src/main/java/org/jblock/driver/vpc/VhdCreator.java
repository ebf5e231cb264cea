package org.jblock.driver.vpc;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.spi.CreateRequest;

/**
 * Writes new, empty images in QEMU's layout.
 *
 * <p>Dynamic: footer copy at 0, dynamic header at 512, BAT at 1536 with exactly ⌈size/block⌉ entries
 * (all unallocated, padded to a sector with 0xFF), footer. Fixed: a sparse data area, then the footer.
 *
 * <h2>Size and geometry: every reader must agree</h2>
 * QEMU 7.2 takes the size from the CHS geometry unless the creator app is one it lists or the
 * geometry is the maximum; QEMU 10.x takes CHS only for {@code vpc } and {@code qemu}; libvhdi takes
 * the original size; Hyper-V the current size. So:
 * <ul>
 *   <li>original size = current size, always;</li>
 *   <li>the geometry is either exact (C·H·S·512 = the size) or the maximum 65535/16/255, which every
 *       version of QEMU reads as "use the current size" — see {@link #geometryFor};</li>
 *   <li>without {@code force_size}, a size up to 127 GiB is rounded up to the next CHS size (as
 *       qemu-img does), so the geometry is exact; above 127 GiB the geometry is the maximum and the
 *       size exact (rounded up to a sector);</li>
 *   <li>with {@code force_size}, the size is exact and the geometry follows the same rule.</li>
 * </ul>
 * The creator app is {@code jblk}: whatever rule a reader applies to an unknown creator, it lands on
 * the same size.
 */
final class VhdCreator {
    static final int CREATOR_APP = VhdFooter.fourCC("jblk");
    /** jblock 0.1, as major u16 / minor u16. */
    static final int CREATOR_VERSION = 0x00000001;
    /** Windows, as QEMU writes it: some Microsoft tools refuse other host OS codes. */
    static final int CREATOR_OS = VhdFooter.fourCC("Wi2k");

    private VhdCreator() {
    }

    /** The size and geometry a new image gets. */
    record Sizing(long size, Geometry geometry) {
    }

    /**
     * @param requestedSize the size asked for, in bytes
     * @param forceSize     keep the size exact instead of rounding it up to a CHS size
     * @return the virtual size the new image has, and its geometry
     */
    static Sizing sizing(long requestedSize, boolean forceSize) throws InvalidOptionException {
        if (requestedSize < 0) {
            throw new InvalidOptionException("Invalid image size " + requestedSize);
        }
        if (requestedSize > VhdLayout.MAX_VIRTUAL_SIZE) {
            throw tooLarge();
        }
        long size = VhdLayout.roundUp(requestedSize, VhdLayout.SECTOR);
        if (forceSize) {
            return new Sizing(size, geometryFor(size));
        }
        Geometry geometry = Geometry.roundingUp(size / VhdLayout.SECTOR);
        return geometry.isMax() ? new Sizing(size, geometry)
                : new Sizing(geometry.totalSectors() * VhdLayout.SECTOR, geometry);
    }

    /** @return the exact CHS geometry of {@code size} when there is one, else the maximum geometry */
    static Geometry geometryFor(long size) {
        long sectors = size / VhdLayout.SECTOR;
        Geometry exact = Geometry.forSectors(sectors);
        return exact.totalSectors() == sectors && !exact.isMax() ? exact : Geometry.MAX;
    }

    static void createDynamic(BlockFile file, Sizing sizing, int blockSize) throws IOException {
        checkBlockSize(blockSize);
        long entries = VhdLayout.ceilDiv(sizing.size(), blockSize);
        long footerAt = VhdLayout.BAT_OFFSET + VhdLayout.batBytesOnDisk(entries);
        VhdFooter footer = footer(sizing, VhdFooter.TYPE_DYNAMIC, VhdLayout.HEADER_OFFSET);
        DynamicHeader header = DynamicHeader.create(VhdLayout.BAT_OFFSET, (int) entries, blockSize);
        ByteBuffer image = ByteBuffer.allocate((int) footerAt + VhdFooter.SIZE);
        footer.encode(image);
        header.encode(image);
        byte[] unallocated = new byte[(int) VhdLayout.batBytesOnDisk(entries)];
        Arrays.fill(unallocated, (byte) 0xFF);
        image.put(unallocated);
        footer.encode(image);
        file.write(image.flip(), 0);
    }

    /**
     * A differencing image over {@code request.backing()}: the layout of a dynamic image with the
     * parent locators' data between the BAT and the footer; the parent's UUID (nil for a parent
     * without one, as blktap marks a raw parent), footer timestamp and file name in the header. The
     * size, unless given, is the parent's, kept exact.
     */
    static void createDifferencing(CreateRequest request, long blockSizeOption) throws IOException {
        BackingImage backing = request.backing();
        BlockFile file = request.file();
        int blockSize = blockSizeOption(blockSizeOption);
        long size = request.size() < 0 ? backing.image().size() : request.size();
        Sizing sizing = sizing(size, true);
        VhdParent.Identity parent = VhdParent.Identity.of(backing);
        long entries = VhdLayout.ceilDiv(sizing.size(), blockSize);
        long locatorsAt = VhdLayout.BAT_OFFSET + VhdLayout.batBytesOnDisk(entries);
        VhdParent.Locators locators = VhdParent.locators(file.location(), backing.location(), locatorsAt);
        long footerAt = locatorsAt + locators.data().length;
        VhdFooter dynamicFooter = footer(sizing, VhdFooter.TYPE_DIFFERENCING, VhdLayout.HEADER_OFFSET);
        DynamicHeader header = parent.in(DynamicHeader.create(VhdLayout.BAT_OFFSET, (int) entries, blockSize),
                locators.entries());
        ByteBuffer image = ByteBuffer.allocate(Math.toIntExact(footerAt + VhdFooter.SIZE));
        dynamicFooter.encode(image);
        header.encode(image);
        byte[] unallocated = new byte[(int) VhdLayout.batBytesOnDisk(entries)];
        Arrays.fill(unallocated, (byte) 0xFF);
        image.put(unallocated);
        image.put(locators.data());
        dynamicFooter.encode(image);
        file.write(image.flip(), 0);
    }

    static void createFixed(BlockFile file, Sizing sizing) throws IOException {
        VhdFooter footer = footer(sizing, VhdFooter.TYPE_FIXED, VhdFooter.NO_DATA_OFFSET);
        file.write(ByteBuffer.wrap(footer.toBytes()), sizing.size());
    }

    private static VhdFooter footer(Sizing sizing, int type, long dataOffset) {
        long size = sizing.size();
        long timestamp = Instant.now().getEpochSecond() - VhdFooter.EPOCH_SECONDS;
        VhdFooter unsummed = new VhdFooter(VhdFooter.COOKIE, VhdFooter.FEATURE_RESERVED, VhdFooter.VERSION_1_0,
                dataOffset, (int) timestamp, CREATOR_APP, CREATOR_VERSION, CREATOR_OS, size, size, sizing.geometry(),
                type, 0, uniqueId(), (byte) 0, new byte[0]);
        return unsummed.withChecksum();
    }

    /**
     * @return a new image's unique id, a random (version 4) UUID: from 16 bytes of the system's
     *         {@code /dev/urandom} where it has one, else {@link UUID#randomUUID()}, whose
     *         {@code SecureRandom} costs a command's start some 6 ms (security providers, a digest).
     *         The id needs to be random, not secret (QEMU takes its random numbers from GLib's).
     */
    static UUID uniqueId() {
        byte[] bytes = new byte[16];
        try (InputStream urandom = new FileInputStream("/dev/urandom")) {
            if (urandom.readNBytes(bytes, 0, bytes.length) == bytes.length) {
                bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40); // version 4: random
                bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80); // the IETF variant
                ByteBuffer both = ByteBuffer.wrap(bytes);
                return new UUID(both.getLong(), both.getLong());
            }
        } catch (IOException | RuntimeException e) {
            // no /dev/urandom here
        }
        return UUID.randomUUID();
    }

    private static void checkBlockSize(long blockSize) throws InvalidOptionException {
        if (Long.bitCount(blockSize) != 1 || blockSize < VhdLayout.MIN_CREATE_BLOCK_SIZE
                || blockSize > VhdLayout.MAX_CREATE_BLOCK_SIZE) {
            throw new InvalidOptionException("Invalid block_size " + blockSize
                    + ": expected a power of two from 512 KiB to 256 MiB");
        }
    }

    static int blockSizeOption(long value) throws InvalidOptionException {
        checkBlockSize(value);
        return (int) value;
    }

    static InvalidOptionException tooLarge() {
        return new InvalidOptionException("Disk size is too large, max size is 2040 GiB");
    }
}
