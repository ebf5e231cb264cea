package org.jblock.shell.img;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.Sizes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dd [-U] [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output}:
 * qemu-img's dd. The output image is always created (raw unless {@code -O} says), as large as
 * the input, or {@code count} blocks when that is less, minus the {@code skip} blocks at the
 * start; then the input from block {@code skip} on is copied to its start. Prints nothing on success.
 */
@Command(name = "dd", description = "Copies an image's bytes from a block offset into a new image (dd style).")
final class DdCommand extends ImgCommand {
    /** The largest read and write: blocks are a counting unit only, the bytes copied are the same in any chunks. */
    private static final int CHUNK = 1 << 20;

    @Option(names = "-f", paramLabel = "fmt", description = "Format of the input (probed when absent).")
    String sourceFormat;

    @Option(names = "-O", paramLabel = "output_fmt", defaultValue = "raw", description = "Format of the output (default raw).")
    String targetFormat;

    @Option(names = {"-U", "--force-share"}, description = "Open the input without taking a lock.")
    boolean forceShare;

    @Parameters(arity = "0..*", paramLabel = "operand", description = "bs=, count=, skip=, if=, of=")
    List<String> operands = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        long blockSize = 512;
        long count = -1;
        long skip = 0;
        String input = null;
        String output = null;
        for (String operand : operands) {
            int equals = operand.indexOf('=');
            String key = equals < 0 ? operand : operand.substring(0, equals);
            String value = equals < 0 ? "" : operand.substring(equals + 1);
            switch (key) {
                case "bs":
                    blockSize = number(value, "bs");
                    if (blockSize < 1 || blockSize > Integer.MAX_VALUE) {
                        throw new InvalidOptionException("Invalid bs specified. Must be between 1 and 2147483647.");
                    }
                    break;
                case "count":
                    count = number(value, "count");
                    break;
                case "skip":
                    skip = number(value, "skip");
                    break;
                case "if":
                    input = value;
                    break;
                case "of":
                    output = value;
                    break;
                default:
                    throw new InvalidOptionException("unrecognized operand " + operand);
            }
        }
        if (input == null || output == null) {
            throw new BlockException("Must specify both input and output files");
        }
        registry().driver(targetFormat);
        try (BlockImage source = open(input, sourceFormat, true, forceShare)) {
            long end = source.size();
            if (count >= 0 && count <= end / blockSize) {
                end = count * blockSize;
            }
            boolean skipsPastEnd = skip > end / blockSize;
            long from = skipsPastEnd ? end : skip * blockSize;
            Path target = Path.of(output);
            CreateCommand.refuseIfInUse(registry(), target);
            registry().create(target, targetFormat, end - from, "");
            if (skipsPastEnd) {
                // qemu-img says so, leaves the output empty and succeeds.
                err().println(JblockImg.TOOL + ": " + input + ": cannot skip to specified offset");
                return 0;
            }
            try (BlockImage destination = open(output, false, targetFormat, false, false, "")) {
                copy(source, from, end, destination);
                destination.flush();
            }
        }
        return 0;
    }

    private static long number(String value, String name) throws InvalidOptionException {
        try {
            return Sizes.parse(value);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid " + name + " specified: '" + value
                    + "' (use a number, or one with a k, M, G, T, P or E suffix)");
        }
    }

    /** Copies the input's bytes {@code [from, end)} to the start of {@code destination}. */
    private static void copy(BlockImage source, long from, long end, BlockImage destination) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, end - from)));
        for (long position = from; position < end; ) {
            int length = (int) Math.min(buffer.capacity(), end - position);
            buffer.clear().limit(length);
            source.read(position, buffer);
            buffer.flip();
            destination.write(position - from, buffer);
            position += length;
        }
    }
}
