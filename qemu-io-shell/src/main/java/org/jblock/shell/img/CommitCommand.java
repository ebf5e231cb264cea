package org.jblock.shell.img;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.ops.Commit;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ChainMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code commit [-q] [-f fmt] [-t cache] [-b base] [-d] [-p] filename}: qemu-img's commit over
 * {@link Commit}. The image's data goes into its backing file (or into {@code -b base}, deeper in the
 * chain, which implies {@code -d}); the image is then emptied unless {@code -d}. Prints
 * {@code Image committed.}
 */
@Command(name = "commit", description = "Commits an image's data into its backing file.")
final class CommitCommand extends ImgCommand {
    @Option(names = "-f", paramLabel = "fmt", description = "Format of the image (probed when absent).")
    String format;

    @Option(names = "-b", paramLabel = "base", description = "The backing image to commit into (default: the image's own).")
    String base;

    @Option(names = "-d", description = "Do not empty the image after the commit.")
    boolean keep;

    @Option(names = "-p", description = "Show a progress bar (on a terminal).")
    boolean showProgress;

    @Option(names = "-q", description = "Quiet: print nothing on success.")
    boolean quiet;

    @Option(names = "-t", paramLabel = "cache", defaultValue = "writeback",
            description = "Cache mode of the image and its chain: writeback (the default), writethrough, unsafe,"
                    + " none and directsync (refused on local files).")
    String cache;

    @Option(names = "-r", paramLabel = "rate", description = "Accepted for compatibility: the commit is not rate-limited.")
    String rate;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        CacheMode mode = CacheMode.parse(cache);
        try (BlockImage top = open(filename, format, false, false, "", ChainMode.WRITABLE_BACKING, mode)) {
            List<BlockImage> chain = Commit.chain(top);
            if (chain.size() < 2) {
                throw new BlockException("Image does not have a backing file");
            }
            BlockImage into = base == null ? chain.get(1) : find(chain, base);
            try (Progress progress = progress(showProgress && !quiet, 1)) {
                Commit.commit(top, into, base == null && !keep, 1, progress.listener());
            }
        }
        if (!quiet) {
            out().println("Image committed.");
            out().flush();
        }
        return 0;
    }

    /** The layer below the top whose file is {@code name} (as given, or next to the top image). */
    private BlockImage find(List<BlockImage> chain, String name) throws IOException {
        Path given = Path.of(name);
        Path topDir = Path.of(filename).toAbsolutePath().getParent();
        for (BlockImage layer : chain.subList(1, chain.size())) {
            Path file = Path.of(layer.name());
            for (Path candidate : List.of(given, topDir == null ? given : topDir.resolve(given))) {
                if (Files.exists(candidate) && Files.isSameFile(candidate, file)) {
                    return layer;
                }
            }
        }
        throw new BlockException("Did not find '" + name + "' in the backing chain of '" + filename + "'");
    }
}
