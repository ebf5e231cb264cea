package org.jblock.shell.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;

/**
 * Runs of the image that qemu-io's {@code alloc} and {@code map} call allocated or not.
 *
 * <p>A run is allocated when its extent is ({@link Extent#allocated()}, QEMU's "present": a VHD's
 * unallocated blocks are, as QEMU reads them as zeros of the image itself; a qcow2 image's unallocated
 * clusters are not). Only the top layer counts: a run that comes from a backing image is not
 * allocated, as qemu-io's {@code bdrv_is_allocated} says.
 */
final class AllocationRuns {
    /** A run of equal allocation state. */
    record Run(long start, long length, boolean allocated) {
    }

    private AllocationRuns() {
    }

    /** @return the runs covering {@code [offset, offset+length)}, which must lie inside the image */
    static List<Run> of(BlockImage image, long offset, long length) throws IOException {
        List<Run> runs = new ArrayList<>();
        if (length == 0) {
            return runs;
        }
        for (Extent e : image.blockStatus(offset, length)) {
            boolean allocated = e.allocated() && e.depth() == 0;
            int last = runs.size() - 1;
            if (last >= 0 && runs.get(last).allocated() == allocated) {
                Run previous = runs.get(last);
                runs.set(last, new Run(previous.start(), previous.length() + e.length(), allocated));
            } else {
                runs.add(new Run(e.start(), e.length(), allocated));
            }
        }
        return runs;
    }
}
