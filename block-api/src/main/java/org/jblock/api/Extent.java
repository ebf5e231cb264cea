package org.jblock.api;

import java.util.List;
import java.util.OptionalLong;

/**
 * How a run of the virtual disk is stored: the unit of {@link BlockImage#blockStatus}.
 *
 * @param start      the first byte, in the virtual disk
 * @param length     bytes in the run (positive)
 * @param data       the run holds data in this image (it is read from the storage)
 * @param zero       the run reads as zeros
 * @param allocated  the run is described by this image's own metadata (for a layered format:
 *                   this layer, not a backing file). QEMU calls this "present".
 * @param hostOffset where the run starts in the storage under the image, when it maps linearly
 */
public record Extent(long start, long length, boolean data, boolean zero, boolean allocated,
                     OptionalLong hostOffset) {

    public Extent {
        if (start < 0 || length <= 0) {
            throw new IllegalArgumentException("bad extent start " + start + " length " + length);
        }
    }

    /** @return the first byte after the run */
    public long end() {
        return start + length;
    }

    /** A run of data in this image, mapped at {@code hostOffset}. */
    public static Extent data(long start, long length, long hostOffset) {
        return new Extent(start, length, true, false, true, OptionalLong.of(hostOffset));
    }

    /** A run that reads as zeros with no storage behind it; allocated says whether this layer says so. */
    public static Extent zero(long start, long length, boolean allocated) {
        return new Extent(start, length, false, true, allocated, OptionalLong.empty());
    }

    /** @return whether {@code next} continues this run with the same flags and mapping */
    public boolean mergeableWith(Extent next) {
        if (next.start != end() || next.data != data || next.zero != zero || next.allocated != allocated) {
            return false;
        }
        if (hostOffset.isPresent() != next.hostOffset.isPresent()) {
            return false;
        }
        return hostOffset.isEmpty() || next.hostOffset.getAsLong() == hostOffset.getAsLong() + length;
    }

    /** @return this run extended over {@code next}, which must be {@linkplain #mergeableWith mergeable} */
    public Extent mergedWith(Extent next) {
        return new Extent(start, length + next.length, data, zero, allocated, hostOffset);
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
