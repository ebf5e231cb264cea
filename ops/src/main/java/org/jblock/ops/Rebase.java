package org.jblock.ops;

import java.io.IOException;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockImage;
import org.jblock.api.ProgressListener;

/**
 * The engine of {@code rebase}: points a layered image at another backing image (QEMU's
 * {@code qemu-img rebase}).
 *
 * <p>Safe mode keeps what the image reads unchanged: every run the image does not hold itself is
 * read through the old chain and from the new backing image (zeros past its end, or everywhere
 * when there is none), and the 512-byte sectors that differ are written into the image; then the image is
 * flushed and re-pointed ({@link BlockImage#changeBacking}, crash-safe by itself). A crash before
 * the re-pointing leaves the image on its old chain with sectors that hold what the old chain holds
 * there; after it, on the new one. Unsafe mode only re-points.
 */
public final class Rebase {
    private Rebase() {
    }

    /**
     * @param image      the layered image, writable, opened with its old chain (safe mode) or alone
     * @param newBacking the new backing image (owned by {@code image} from now on), or null for none
     * @param safe       whether to copy what differs first
     */
    public static void rebase(BlockImage image, BackingImage newBacking, boolean safe, ProgressListener progress)
            throws IOException {
        if (safe) {
            // Runs the image holds itself stay; the rest is read through the old chain.
            Differences.copy(image, newBacking == null ? null : newBacking.image(), image, e -> e.depth() > 0, progress);
            image.flush();
        }
        image.changeBacking(newBacking);
    }
}
