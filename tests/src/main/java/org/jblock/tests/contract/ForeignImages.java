package org.jblock.tests.contract;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import org.jblock.api.BlockException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;

/**
 * Files of formats other than the one under test, for the probe checks: the identifying structures
 * of well-known formats written from their published layouts, and an empty image of every other
 * driver on the class path that can create one.
 */
final class ForeignImages {
    private static final int SAMPLE_DATA = 64 * 1024;
    private static final long OTHER_DRIVER_IMAGE_SIZE = 1 << 20;

    /** A file and the format it is an image of. */
    record ForeignImage(String format, byte[] content) {
        @Override
        public String toString() {
            return "a " + format + " file of " + content.length + " bytes";
        }
    }

    private ForeignImages() {
    }

    /** @return the samples whose format is not {@code ownFormat} */
    static List<ForeignImage> except(String ownFormat) throws IOException {
        List<ForeignImage> all = new ArrayList<>(List.of(qcow2Header(), fixedVhd(), vmdkSparseHeader()));
        all.addAll(createdByOtherDrivers(ownFormat));
        all.removeIf(sample -> sample.format().equals(ownFormat));
        return all;
    }

    /** The start of a qcow2 v3 image: magic "QFI\xfb", version, cluster bits and virtual size. */
    private static ForeignImage qcow2Header() {
        ByteBuffer image = ByteBuffer.allocate(SAMPLE_DATA);
        image.putInt(0, 0x514649fb).putInt(4, 3).putInt(20, 16).putLong(24, 1L << 30).putInt(100, 104);
        return new ForeignImage("qcow2", image.array());
    }

    /**
     * A fixed VHD: the data, then a 512-byte footer with the "conectix" cookie, fixed disk type and
     * a correct checksum (the one's complement of the byte sum with the checksum field zero).
     */
    private static ForeignImage fixedVhd() {
        ByteBuffer image = ByteBuffer.allocate(SAMPLE_DATA + 512);
        int footer = SAMPLE_DATA;
        image.put(footer, "conectix".getBytes(StandardCharsets.US_ASCII));
        image.putInt(footer + 8, 2).putInt(footer + 12, 0x00010000).putLong(footer + 16, -1L)
                .putLong(footer + 40, SAMPLE_DATA).putLong(footer + 48, SAMPLE_DATA)
                .putInt(footer + 56, (2 << 16) | (4 << 8) | 32).putInt(footer + 60, 2);
        int sum = 0;
        for (int i = footer; i < footer + 512; i++) {
            sum += image.get(i) & 0xff;
        }
        image.putInt(footer + 64, ~sum);
        return new ForeignImage("vpc", image.array());
    }

    /** The header of a hosted sparse VMDK extent: magic "KDMV" (little-endian), version 1. */
    private static ForeignImage vmdkSparseHeader() {
        ByteBuffer image = ByteBuffer.allocate(SAMPLE_DATA).order(ByteOrder.LITTLE_ENDIAN);
        image.putInt(0, 0x564d444b).putInt(4, 1).putInt(8, 3).putLong(12, 2048).putLong(20, 128);
        return new ForeignImage("vmdk", image.array());
    }

    /** Empty images from every other driver that can create one with its default options. */
    private static List<ForeignImage> createdByOtherDrivers(String ownFormat) throws IOException {
        List<ForeignImage> images = new ArrayList<>();
        for (BlockDriver other : ServiceLoader.load(BlockDriver.class, ForeignImages.class.getClassLoader())) {
            if (other.name().equals(ownFormat)) {
                continue;
            }
            MemoryBlockFile file = new MemoryBlockFile("image." + other.name());
            try {
                other.create(new CreateRequest(file, OTHER_DRIVER_IMAGE_SIZE, Options.EMPTY));
            } catch (BlockException cannotCreate) {
                // Not every format can be created, or at this size; the samples above still apply.
                continue;
            }
            images.add(new ForeignImage(other.name(), file.toByteArray()));
        }
        return images;
    }
}
