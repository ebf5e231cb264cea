package org.jblock.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.IoBuffers;
import org.jblock.api.ProgressListener;

/**
 * The engine of {@code compare}, as qemu-img compares: the common part byte by byte (ranges both
 * images report as zeros are not read), then, when the sizes differ, the longer image's tail must read
 * as zeros. A mismatch is reported at the start of its 512-byte sector. Strict mode also fails on a
 * size difference and on a block-status difference (data or not, zero or not). Images with backing
 * images are compared as the guest sees them, through their whole chains.
 */
public final class ImageComparison {
    private static final int CHUNK = 2 << 20;
    private static final int SECTOR = 512;

    /** How two images compare. */
    public enum Verdict {
        /** Same content (a longer image's tail reads as zeros, unless strict). */
        IDENTICAL,
        /** Content differs at {@link Result#offset()}. */
        CONTENT_MISMATCH,
        /** Strict: block status differs at {@link Result#offset()}. */
        STATUS_MISMATCH,
        /** Strict: the sizes differ. */
        SIZE_MISMATCH
    }

    /**
     * @param verdict      how they compare
     * @param offset       where they differ first, or -1
     * @param sizesDiffer  whether the sizes differ (qemu-img warns when not strict)
     */
    public record Result(Verdict verdict, long offset, boolean sizesDiffer) {
    }

    private final ByteBuffer bufferA = IoBuffers.allocate(CHUNK);
    private final ByteBuffer bufferB = IoBuffers.allocate(CHUNK);
    private final boolean strict;
    private final ProgressListener progress;
    private long done;
    private long total;

    private ImageComparison(boolean strict, ProgressListener progress) {
        this.strict = strict;
        this.progress = progress;
    }

    /**
     * Compares {@code a} with {@code b}.
     *
     * @throws IOException when a read fails
     */
    public static Result compare(BlockImage a, BlockImage b, boolean strict, ProgressListener progress)
            throws IOException {
        return new ImageComparison(strict, progress).run(a, b);
    }

    private Result run(BlockImage a, BlockImage b) throws IOException {
        long sizeA = a.size();
        long sizeB = b.size();
        long common = Math.min(sizeA, sizeB);
        boolean sizesDiffer = sizeA != sizeB;
        total = Math.max(sizeA, sizeB);
        progress.progress(0, total);
        for (long at = 0; at < common; at += CHUNK) {
            long zeros = zerosInBoth(a, b, at, common - at);
            if (zeros > 0) {
                // A stretch both report as zeros (holes of a sparse image) is passed in one step.
                at += zeros;
                advance(zeros);
                if (at >= common) {
                    break;
                }
            }
            int length = (int) Math.min(CHUNK, common - at);
            List<Extent> extentsA = a.blockStatus(at, length);
            List<Extent> extentsB = b.blockStatus(at, length);
            if (strict) {
                long differs = firstStatusDifference(extentsA, extentsB);
                if (differs >= 0) {
                    return new Result(Verdict.STATUS_MISMATCH, differs, sizesDiffer);
                }
            }
            boolean zeroA = allZero(extentsA);
            boolean zeroB = allZero(extentsB);
            if (!(zeroA && zeroB)) {
                ByteBuffer dataA = zeroA ? Zeroes.of(length) : readChunk(a, bufferA, at, length);
                ByteBuffer dataB = zeroB ? Zeroes.of(length) : readChunk(b, bufferB, at, length);
                int differs = dataA.mismatch(dataB);
                if (differs >= 0) {
                    return new Result(Verdict.CONTENT_MISMATCH, at + differs - differs % SECTOR, sizesDiffer);
                }
            }
            advance(length);
        }
        if (!sizesDiffer) {
            return new Result(Verdict.IDENTICAL, -1, false);
        }
        if (strict) {
            return new Result(Verdict.SIZE_MISMATCH, -1, true);
        }
        long nonZero = firstNonZero(sizeA > sizeB ? a : b, common, total);
        return nonZero >= 0 ? new Result(Verdict.CONTENT_MISMATCH, nonZero, true)
                : new Result(Verdict.IDENTICAL, -1, true);
    }

    /**
     * @return how many bytes from {@code at} on (up to {@link ImageCopier#SKIP_LOOKAHEAD}) both images report as
     *         zeros with the same status, or 0
     */
    private static long zerosInBoth(BlockImage a, BlockImage b, long at, long remaining) throws IOException {
        long length = Math.min(ImageCopier.SKIP_LOOKAHEAD, remaining);
        Extent x = a.blockStatus(at, length).get(0);
        if (!x.zero() || x.length() < CHUNK) {
            return 0;
        }
        Extent y = b.blockStatus(at, length).get(0);
        if (!y.zero() || y.data() != x.data()) {
            return 0;
        }
        return Math.min(x.length(), y.length());
    }

    private void advance(long length) {
        done += length;
        progress.progress(done, total);
    }

    /** The first offset where the two images describe their storage differently, or -1. */
    private static long firstStatusDifference(List<Extent> a, List<Extent> b) {
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            Extent x = a.get(i);
            Extent y = b.get(j);
            if (x.data() != y.data() || x.zero() != y.zero()) {
                return Math.max(x.start(), y.start());
            }
            if (x.end() <= y.end()) {
                i++;
            }
            if (y.end() <= x.end()) {
                j++;
            }
        }
        return -1;
    }

    /** @return the sector offset of the first non-zero byte of {@code image} in {@code [from, end)}, or -1 */
    private long firstNonZero(BlockImage image, long from, long end) throws IOException {
        for (long at = from; at < end; at += CHUNK) {
            int length = (int) Math.min(CHUNK, end - at);
            if (!allZero(image.blockStatus(at, length))) {
                int nonZero = Zeroes.firstNonZero(readChunk(image, bufferA, at, length), 0, length);
                if (nonZero >= 0) {
                    return at + nonZero - (at + nonZero) % SECTOR;
                }
            }
            advance(length);
        }
        return -1;
    }

    private static boolean allZero(List<Extent> extents) {
        return extents.stream().allMatch(Extent::zero);
    }

    private static ByteBuffer readChunk(BlockImage image, ByteBuffer buffer, long at, int length) throws IOException {
        ByteBuffer slice = buffer.clear().limit(length).slice();
        image.read(at, slice);
        return slice.flip();
    }
}
