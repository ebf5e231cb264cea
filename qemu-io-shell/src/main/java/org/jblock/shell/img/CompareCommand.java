package org.jblock.shell.img;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code compare [-f fmt] [-F fmt] [-s] [-p] [-q] a b}: qemu-img's messages and exit codes (0 the same,
 * 1 they differ, 2 an image does not open, 4 a read fails). Where the sizes differ the longer image's
 * tail must read as zeros; a mismatch is reported at the start of its 512-byte sector, as qemu-img does.
 */
@Command(name = "compare", description = "Compares the content of two images.")
final class CompareCommand extends ImgCommand {
    static final int SAME = 0;
    static final int DIFFERENT = 1;
    static final int OPEN_FAILED = 2;
    static final int READ_FAILED = 4;
    private static final int CHUNK = 2 << 20;
    private static final int SECTOR = 512;
    /** What {@link #firstDifference} returns when strict mode finds allocations that differ. */
    private static final long STATUS_MISMATCH = -2;

    @Option(names = "-f", paramLabel = "fmt", description = "Format of the first image (probed when absent).")
    String firstFormat;

    @Option(names = "-F", paramLabel = "fmt", description = "Format of the second image (probed when absent).")
    String secondFormat;

    @Option(names = "-s", description = "Strict: fail on a size or allocation difference too.")
    boolean strict;

    @Option(names = "-p", description = "Show progress: a bar on a terminal, else qemu-img's (NN.NN/100%%) lines.")
    boolean showProgress;

    @Option(names = "-q", description = "Quiet: print nothing, the exit code tells.")
    boolean quiet;

    @Option(names = "-U", description = "Open without taking a lock.")
    boolean forceShare;

    @Parameters(index = "0", paramLabel = "filename1")
    String first;

    @Parameters(index = "1", paramLabel = "filename2")
    String second;

    /** The lines to print, in order. */
    private final List<String> verdict = new ArrayList<>();
    private final ByteBuffer bufferA = ByteBuffer.allocateDirect(CHUNK);
    private final ByteBuffer bufferB = ByteBuffer.allocateDirect(CHUNK);

    @Override
    int errorExitCode() {
        return OPEN_FAILED;
    }

    @Override
    public Integer call() throws IOException {
        try (BlockImage a = open(first, firstFormat, true, forceShare);
             BlockImage b = open(second, secondFormat, true, forceShare)) {
            int exitCode;
            try (Progress progress = progress(showProgress && !quiet, 2)) {
                exitCode = compare(a, b, progress);
            }
            // Printed after the bar is closed, so that no verdict shares a line with it.
            if (!quiet) {
                verdict.forEach(out()::println);
                out().flush();
            }
            return exitCode;
        }
    }

    private int compare(BlockImage a, BlockImage b, Progress progress) throws IOException {
        long sizeA = a.size();
        long sizeB = b.size();
        long common = Math.min(sizeA, sizeB);
        progress.total(Math.max(sizeA, sizeB));
        long mismatch;
        try {
            mismatch = firstDifference(a, b, common, progress);
        } catch (IOException e) {
            err().println(JblockImg.TOOL + ": Error while reading: " + Messages.describe(e));
            return READ_FAILED;
        }
        if (mismatch == STATUS_MISMATCH) {
            return DIFFERENT;
        }
        if (mismatch >= 0) {
            return report("Content mismatch at offset " + mismatch + "!", DIFFERENT);
        }
        if (sizeA != sizeB) {
            if (strict) {
                return report("Strict mode: Image size mismatch!", DIFFERENT);
            }
            say("Warning: Image size mismatch!");
            try {
                mismatch = firstNonZero(sizeA > sizeB ? a : b, common, Math.max(sizeA, sizeB), progress);
            } catch (IOException e) {
                err().println(JblockImg.TOOL + ": Error while reading: " + Messages.describe(e));
                return READ_FAILED;
            }
            if (mismatch >= 0) {
                return report("Content mismatch at offset " + mismatch + "!", DIFFERENT);
            }
        }
        return report("Images are identical.", SAME);
    }

    private int report(String line, int exitCode) {
        say(line);
        return exitCode;
    }

    private void say(String line) {
        verdict.add(line);
    }

    /** @return the sector offset of the first difference in {@code [0, end)}, -1 for none, or {@link #STATUS_MISMATCH} */
    private long firstDifference(BlockImage a, BlockImage b, long end, Progress progress) throws IOException {
        for (long at = 0; at < end; at += CHUNK) {
            int length = (int) Math.min(CHUNK, end - at);
            List<Extent> extentsA = a.blockStatus(at, length);
            List<Extent> extentsB = b.blockStatus(at, length);
            if (strict) {
                long differs = firstStatusDifference(extentsA, extentsB);
                if (differs >= 0) {
                    say("Strict mode: Offset " + differs + " block status mismatch!");
                    return STATUS_MISMATCH;
                }
            }
            boolean zeroA = allZero(extentsA);
            boolean zeroB = allZero(extentsB);
            if (!(zeroA && zeroB)) {
                ByteBuffer dataA = zeroA ? Zeroes.of(length) : readChunk(a, bufferA, at, length);
                ByteBuffer dataB = zeroB ? Zeroes.of(length) : readChunk(b, bufferB, at, length);
                int differs = dataA.mismatch(dataB);
                if (differs >= 0) {
                    return at + differs - differs % SECTOR;
                }
            }
            progress.advance(length);
        }
        return -1;
    }

    /**
     * Strict mode, as qemu-img: the first offset where the two images describe their storage
     * differently (data or not, zero or not), or -1.
     */
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
    private long firstNonZero(BlockImage image, long from, long end, Progress progress) throws IOException {
        for (long at = from; at < end; at += CHUNK) {
            int length = (int) Math.min(CHUNK, end - at);
            if (!allZero(image.blockStatus(at, length))) {
                int nonZero = Zeroes.firstNonZero(readChunk(image, bufferA, at, length), 0, length);
                if (nonZero >= 0) {
                    return at + nonZero - (at + nonZero) % SECTOR;
                }
            }
            progress.advance(length);
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
