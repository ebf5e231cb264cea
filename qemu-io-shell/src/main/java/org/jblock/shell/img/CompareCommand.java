package org.jblock.shell.img;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.ops.ImageComparison;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ChainMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code compare [-f fmt] [-F fmt] [-T src_cache] [-s] [-p] [-q] a b}: qemu-img's messages and exit codes (0 the same,
 * 1 they differ, 2 an image does not open, 4 a read fails), over {@link ImageComparison}. Images in
 * backing chains are compared as the guest sees them.
 */
@Command(name = "compare", description = "Compares the content of two images.")
final class CompareCommand extends ImgCommand {
    static final int SAME = 0;
    static final int DIFFERENT = 1;
    static final int OPEN_FAILED = 2;
    static final int READ_FAILED = 4;

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

    @Option(names = "-T", paramLabel = "src_cache", defaultValue = "writeback",
            description = "Cache mode of both images (default writeback).")
    String sourceCache;

    @Parameters(index = "0", paramLabel = "filename1")
    String first;

    @Parameters(index = "1", paramLabel = "filename2")
    String second;

    /** The lines to print, in order. */
    private final List<String> verdict = new ArrayList<>();

    @Override
    int errorExitCode() {
        return OPEN_FAILED;
    }

    @Override
    public Integer call() throws IOException {
        CacheMode cache = sourceCacheMode(sourceCache);
        try (BlockImage a = open(first, firstFormat, true, forceShare, "", ChainMode.READ_ONLY_BACKING, cache);
             BlockImage b = open(second, secondFormat, true, forceShare, "", ChainMode.READ_ONLY_BACKING, cache)) {
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
        ImageComparison.Result result;
        try {
            result = ImageComparison.compare(a, b, strict, progress.listener());
        } catch (IOException e) {
            err().println(JblockImg.TOOL + ": Error while reading: " + Messages.describe(e));
            return READ_FAILED;
        }
        // qemu-img warns once the common part matched, before it looks at the longer image's tail.
        long common = Math.min(a.size(), b.size());
        if (result.sizesDiffer() && !strict && (result.offset() < 0 || result.offset() >= common)) {
            say("Warning: Image size mismatch!");
        }
        switch (result.verdict()) {
            case STATUS_MISMATCH:
                return report("Strict mode: Offset " + result.offset() + " block status mismatch!", DIFFERENT);
            case SIZE_MISMATCH:
                return report("Strict mode: Image size mismatch!", DIFFERENT);
            case CONTENT_MISMATCH:
                return report("Content mismatch at offset " + result.offset() + "!", DIFFERENT);
            default:
                return report("Images are identical.", SAME);
        }
    }

    private int report(String line, int exitCode) {
        say(line);
        return exitCode;
    }

    private void say(String line) {
        verdict.add(line);
    }
}
