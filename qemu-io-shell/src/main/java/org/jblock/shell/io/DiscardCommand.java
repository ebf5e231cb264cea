package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code discard [-Cq] off len}: tells the image a range is no longer needed. */
@Command(name = "discard")
final class DiscardCommand extends IoCommand {
    @Option(names = "-C") boolean csv;
    @Option(names = "-q") boolean quiet;

    @Override
    public Integer call() {
        if (operands.size() != 2) {
            return usage();
        }
        Long offset = count(operands.get(0));
        if (offset == null) {
            return FAILED;
        }
        Long length = count(operands.get(1));
        if (length == null) {
            return FAILED;
        }
        if (length > QemuNumbers.REQUEST_MAX_BYTES) {
            return fail("length cannot exceed " + QemuNumbers.REQUEST_MAX_BYTES + ", given " + operands.get(1));
        }
        long began = System.nanoTime();
        try {
            checkRange(offset, length);
            image().discard(offset, length);
        } catch (IOException e) {
            return requestFailed("discard", e);
        }
        long elapsed = System.nanoTime() - began;
        if (!quiet) {
            shell.out(Reports.report("discard", elapsed, offset, length, length, 1, csv));
        }
        return OK;
    }
}
