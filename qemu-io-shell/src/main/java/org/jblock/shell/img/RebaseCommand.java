package org.jblock.shell.img;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.ops.Rebase;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ChainMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rebase [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file [-F backing_fmt] filename}:
 * qemu-img's rebase over {@link Rebase}. Safe by default (what differs between the old and the new
 * backing file is copied into the image first, so its content is unchanged); {@code -u} only
 * re-points (the old backing file need not exist: for a moved or renamed chain); {@code -b ""}
 * leaves the image without a backing file. A relative backing name is relative to the image, and is
 * recorded so (a VHD also keeps the absolute path). The backing format is probed when {@code -F}
 * is absent (qemu-img 7.2 asks for it).
 */
@Command(name = "rebase", description = "Changes an image's backing file.")
final class RebaseCommand extends ImgCommand {
    @Option(names = "-f", paramLabel = "fmt", description = "Format of the image (probed when absent).")
    String format;

    @Option(names = "-b", paramLabel = "backing_file", required = true,
            description = "The new backing file; \"\" for none.")
    String backingFile;

    @Option(names = "-F", paramLabel = "backing_fmt", description = "Format of the new backing file (probed when absent).")
    String backingFormat;

    @Option(names = "-u", description = "Unsafe: only change the backing file name, copy nothing.")
    boolean unsafe;

    @Option(names = "-p", description = "Show a progress bar (on a terminal).")
    boolean showProgress;

    @Option(names = "-q", description = "Quiet.")
    boolean quiet;

    @Option(names = "-t", paramLabel = "cache", defaultValue = "writeback",
            description = "Cache mode of the image and its old chain: writeback (the default), writethrough, unsafe,"
                    + " none and directsync (refused on local files).")
    String cache;

    @Option(names = "-T", paramLabel = "src_cache", defaultValue = "writeback",
            description = "Cache mode of the new backing image (default writeback).")
    String sourceCache;

    @Option(names = "-U", description = "Accepted for compatibility: the image is written, so it is always locked.")
    boolean forceShare;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        CacheMode mode = CacheMode.parse(cache);
        CacheMode backingMode = sourceCacheMode(sourceCache);
        try (BlockImage image = open(filename, format, false, false, "",
                unsafe ? ChainMode.NO_BACKING : ChainMode.READ_ONLY_BACKING, mode)) {
            BackingImage next = backingFile.isEmpty() ? null : openNewBacking(backingMode);
            try (Progress progress = progress(showProgress && !quiet, 2)) {
                Rebase.rebase(image, next, !unsafe, progress.listener());
            } catch (IOException e) {
                if (next != null && !image.backing().map(b -> b == next.image()).orElse(false)) {
                    next.image().close();
                }
                throw new BlockException("Could not change the backing file to '" + backingFile + "': "
                        + Messages.describe(e), e);
            }
        }
        return 0;
    }

    private BackingImage openNewBacking(CacheMode mode) throws IOException {
        try {
            return registry().openBacking(Path.of(filename), backingFile, backingFormat, mode);
        } catch (NoSuchFileException e) {
            throw new BlockException("Could not open new backing file '" + backingFile + "': Could not open '"
                    + e.getFile() + "': No such file or directory", e);
        } catch (IOException e) {
            throw new BlockException("Could not open new backing file '" + backingFile + "': "
                    + Messages.describe(e), e);
        }
    }
}
