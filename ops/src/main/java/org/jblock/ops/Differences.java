package org.jblock.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Predicate;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.ProgressListener;

/**
 * Writes into a target the 512-byte sectors where a source differs from a reference image: what a
 * safe {@code rebase} copies into an image before it changes its backing file (source: the image
 * through its old chain; reference: the new backing image), and what {@code convert -B} writes over
 * the backing file of its output. Runs of differing sectors are written with one request each.
 */
public final class Differences {
    private static final int CHUNK = 2 << 20;
    private static final int SECTOR = 512;

    private Differences() {
    }

    /**
     * @param reference the image to compare with (zeros past its end), or null for zeros everywhere
     * @param only      the source runs to look at; the rest is left alone
     */
    public static void copy(BlockImage source, BlockImage reference, BlockImage target, Predicate<Extent> only,
                            ProgressListener progress) throws IOException {
        long size = source.size();
        long referenceSize = reference == null ? 0 : reference.size();
        ByteBuffer wanted = ByteBuffer.allocate(CHUNK);
        ByteBuffer there = ByteBuffer.allocate(CHUNK);
        progress.progress(0, size);
        for (long at = 0; at < size; at += CHUNK) {
            int length = (int) Math.min(CHUNK, size - at);
            for (Extent e : source.blockStatus(at, length)) {
                if (!only.test(e)) {
                    continue;
                }
                int n = (int) e.length();
                wanted.clear().limit(n);
                source.read(e.start(), wanted);
                int inReference = (int) Math.max(0, Math.min(n, referenceSize - e.start()));
                there.clear().limit(n);
                if (inReference > 0) {
                    reference.read(e.start(), there.slice().limit(inReference));
                }
                there.put(inReference, new byte[n - inReference]);
                writeDifferingSectors(target, e.start(), wanted.flip(), there.position(0).limit(n));
            }
            progress.progress(at + length, size);
        }
    }

    private static void writeDifferingSectors(BlockImage target, long start, ByteBuffer wanted, ByteBuffer there)
            throws IOException {
        int n = wanted.remaining();
        int runStart = -1;
        for (int at = 0; ; at += SECTOR) {
            boolean ended = at >= n;
            boolean differs = !ended && wanted.slice(at, Math.min(SECTOR, n - at))
                    .mismatch(there.slice(at, Math.min(SECTOR, n - at))) >= 0;
            if (differs && runStart < 0) {
                runStart = at;
            } else if (!differs && runStart >= 0) {
                target.write(start + runStart, wanted.slice(runStart, Math.min(at, n) - runStart));
                runStart = -1;
            }
            if (ended) {
                return;
            }
        }
    }
}
