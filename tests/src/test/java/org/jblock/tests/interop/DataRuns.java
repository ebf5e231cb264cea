package org.jblock.tests.interop;

import java.io.IOException;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;

/**
 * Where an image keeps its data, as jblock's block status and {@code qemu-img map} both tell it:
 * the runs of the virtual disk that hold data, and where each starts in the image file.
 */
final class DataRuns {

    /** A run of data: {@code length} bytes at {@code start} of the disk, stored at {@code hostOffset}. */
    record DataRun(long start, long length, long hostOffset) {
    }

    private DataRuns() {
    }

    static List<DataRun> of(BlockImage image) throws IOException {
        return image.blockStatus(0, image.size()).stream()
                .filter(Extent::data)
                .map(e -> new DataRun(e.start(), e.length(), e.hostOffset().orElse(-1)))
                .toList();
    }

    static List<DataRun> of(List<Qemu.MapEntry> map) {
        return map.stream()
                .filter(Qemu.MapEntry::data)
                .map(e -> new DataRun(e.start(), e.length(), e.offset().orElse(-1)))
                .toList();
    }
}
