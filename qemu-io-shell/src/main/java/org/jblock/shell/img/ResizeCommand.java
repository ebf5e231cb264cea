package org.jblock.shell.img;

import java.io.IOException;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.Sizes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code resize [-f fmt] [--shrink] [-q] filename [+|-]size}: an absolute size, or one relative to the
 * current size; shrinking needs {@code --shrink}, as in qemu-img. Write {@code --} before a negative size.
 */
@Command(name = "resize", description = "Changes an image's virtual size, where its format allows.")
final class ResizeCommand extends ImgCommand {
    @Option(names = "-f", paramLabel = "fmt", description = "Format (probed when absent).")
    String format;

    @Option(names = "--shrink", description = "Allow the image to get smaller (its tail's data is lost).")
    boolean shrink;

    @Option(names = "-q", description = "Quiet: print nothing on success.")
    boolean quiet;

    @Parameters(index = "0", paramLabel = "filename")
    String filename;

    @Parameters(index = "1", paramLabel = "[+|-]size")
    String size;

    @Override
    public Integer call() throws IOException {
        try (BlockImage image = open(filename, format, false, false)) {
            long current = image.size();
            long wanted = newSize(current);
            if (wanted < current) {
                if (!shrink) {
                    throw new BlockException("Use the --shrink option to perform a shrink operation.");
                }
                err().println(JblockImg.TOOL + ": warning: Shrinking an image will delete all data beyond the"
                        + " shrunken image's end. Before performing such an operation, make sure there is no"
                        + " important data there.");
            }
            image.resize(wanted);
            long result = image.size();
            if (!quiet) {
                out().println("Image resized.");
                if (result != wanted) {
                    noteOnTerminal("the " + image.info().format() + " format rounded the virtual size to "
                            + result + " bytes (" + Sizes.human(result) + ")");
                }
            }
        }
        return 0;
    }

    private long newSize(long current) throws InvalidOptionException {
        boolean grow = size.startsWith("+");
        boolean reduce = size.startsWith("-");
        long amount = CreateCommand.parseSize(grow || reduce ? size.substring(1) : size);
        if (grow) {
            if (amount > Long.MAX_VALUE - current) {
                throw new InvalidOptionException("Invalid image size specified: '" + size + "' is too large");
            }
            return current + amount;
        }
        if (reduce) {
            if (amount > current) {
                throw new InvalidOptionException("New image size must be positive: " + current + " - " + amount);
            }
            return current - amount;
        }
        return amount;
    }
}
