package org.jblock.api;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * How a run of the virtual disk is stored: the unit of {@link BlockImage#blockStatus}.
 *
 * @param start      the first byte, in the virtual disk
 * @param length     bytes in the run (positive)
 * @param data       the run holds data in this image (it is read from the storage)
 * @param zero       the run reads as zeros
 * @param allocated  the run is described by the metadata of the layer it comes from (the layer at
 *                   {@code depth}; for the image's own layer, {@code depth == 0}). QEMU calls this "present".
 * @param hostOffset where the run starts in the storage of the layer it comes from, when it maps linearly
 * @param depth      the layer the run's content comes from: 0 for this image, 1 for its backing image,
 *                   and so on (QEMU's {@code depth}); a run no layer holds has the depth of the bottom
 *                   layer, as in QEMU
 */
public record Extent(long start, long length, boolean data, boolean zero, boolean allocated,
                     OptionalLong hostOffset, int depth) {

    public Extent {
        if (start < 0 || length <= 0 || depth < 0) {
            throw new IllegalArgumentException("bad extent start " + start + " length " + length + " depth " + depth);
        }
    }

    /** A run of this image's own layer (depth 0). */
    public Extent(long start, long length, boolean data, boolean zero, boolean allocated, OptionalLong hostOffset) {
        this(start, length, data, zero, allocated, hostOffset, 0);
    }

    /** The run as seen through {@code layers} more layers above it: its depth grows by that much. */
    public Extent below(int layers) {
        return new Extent(start, length, data, zero, allocated, hostOffset, depth + layers);
    }

    /** The same run, cut to {@code [from, to)}, which must lie inside it. */
    public Extent slice(long from, long to) {
        OptionalLong host = hostOffset.isPresent() ? OptionalLong.of(hostOffset.getAsLong() + from - start) : hostOffset;
        return new Extent(from, to - from, data, zero, allocated, host, depth);
    }

    /** @return the first byte after the run */
    public long end() {
        return start + length;
    }

    /** A run of data in this image, mapped at {@code hostOffset}. */
    public static Extent data(long start, long length, long hostOffset) {
        return new Extent(start, length, true, false, true, OptionalLong.of(hostOffset));
    }

    /**
     * The runs of {@code [at, at+length)} that an image finds in its backing image, where it holds
     * nothing of its own: the backing image's runs one layer deeper, and past the backing image's end
     * (a backing image may be smaller) zeros that no layer holds, at the depth below the backing
     * image's last run there.
     */
    public static List<Extent> fromBacking(BlockImage backing, long at, long length) throws IOException {
        List<Extent> runs = new ArrayList<>();
        long inBacking = Math.max(0, Math.min(length, backing.size() - at));
        int bottom = 1;
        if (inBacking > 0) {
            for (Extent e : backing.blockStatus(at, inBacking)) {
                runs.add(e.below(1));
                bottom = e.depth() + 1;
            }
        }
        if (inBacking < length) {
            runs.add(new Extent(at + inBacking, length - inBacking, false, true, false, OptionalLong.empty(), bottom));
        }
        return runs;
    }

    /** A run that reads as zeros with no storage behind it; allocated says whether this layer says so. */
    public static Extent zero(long start, long length, boolean allocated) {
        return new Extent(start, length, false, true, allocated, OptionalLong.empty());
    }

    /** @return whether {@code next} continues this run with the same flags and mapping */
    public boolean mergeableWith(Extent next) {
        if (next.start != end() || next.data != data || next.zero != zero || next.allocated != allocated
                || next.depth != depth) {
            return false;
        }
        if (hostOffset.isPresent() != next.hostOffset.isPresent()) {
            return false;
        }
        return hostOffset.isEmpty() || next.hostOffset.getAsLong() == hostOffset.getAsLong() + length;
    }

    /** @return this run extended over {@code next}, which must be {@linkplain #mergeableWith mergeable} */
    public Extent mergedWith(Extent next) {
        return new Extent(start, length + next.length, data, zero, allocated, hostOffset, depth);
    }

    /** Adds {@code next} to the end of {@code runs}, merged into the last run where it continues it. */
    public static void append(List<Extent> runs, Extent next) {
        int last = runs.size() - 1;
        if (last >= 0 && runs.get(last).mergeableWith(next)) {
            runs.set(last, runs.get(last).mergedWith(next));
        } else {
            runs.add(next);
        }
    }
}
