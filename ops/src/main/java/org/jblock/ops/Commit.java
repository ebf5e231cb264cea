package org.jblock.ops;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.ProgressListener;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The engine of {@code commit}: writes what the layers above a base hold into the base, so the base
 * alone reads as the top image did (QEMU's {@code qemu-img commit}).
 *
 * <p>Order, for crash safety: the base is grown when it is smaller than the top; the runs whose
 * depth is above the base's are copied into the base (by the one {@link ImageCopier}, zeros
 * included, other runs left alone) and the base is flushed; only then, when asked, the top is
 * emptied ({@link BlockImage#makeEmpty}). A crash at any write leaves the top reading as before: the
 * base's changed runs are all under data the top still holds, until the top is emptied, and
 * emptying only exposes what is already in the base. The images between the top and a deeper base
 * are not changed; like QEMU's, they no longer read as before (their runs are now in the base too).
 */
public final class Commit {
    private Commit() {
    }

    /** @return the layers of {@code top}'s chain, top first */
    public static List<BlockImage> chain(BlockImage top) {
        List<BlockImage> layers = new java.util.ArrayList<>();
        layers.add(top);
        for (Optional<BlockImage> layer = top.backing(); layer.isPresent(); layer = layer.get().backing()) {
            layers.add(layer.get());
        }
        return layers;
    }

    /**
     * Commits {@code top} into {@code base}, a backing image somewhere in its chain (opened writable).
     *
     * @param emptyTop whether the top is emptied afterwards (qemu-img's default for a commit into
     *                 the top's own backing image)
     * @throws BlockException when {@code top} has no backing image, or {@code base} is not in its chain
     */
    public static void commit(BlockImage top, BlockImage base, boolean emptyTop, int workers,
                              ProgressListener progress) throws IOException {
        List<BlockImage> chain = chain(top);
        if (chain.size() < 2) {
            throw new BlockException("Image does not have a backing file");
        }
        int depth = chain.indexOf(base);
        if (depth < 1) {
            throw new BlockException("'" + base.name() + "' is not in the backing chain of '" + top.name() + "'");
        }
        if (base.isReadOnly()) {
            throw new UnsupportedFeatureException(base.name() + ": the base must be opened writable to commit into it");
        }
        if (base.size() < top.size()) {
            base.resize(top.size());
        }
        new ImageCopier(List.of(top), base, false, 0, workers, false, progress)
                .only(e -> e.depth() < depth)
                .copy();
        base.flush();
        if (emptyTop) {
            top.makeEmpty();
        }
    }
}
