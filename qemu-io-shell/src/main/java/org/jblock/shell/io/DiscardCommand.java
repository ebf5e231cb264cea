package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code discard [-Cq] off len}: tells the image a range is no longer needed. */
@Command(name = "discard")
final class DiscardCommand extends IoCommand {
    @Mixin ReportOptions report = new ReportOptions();

    @Override
    public Integer call() {
        if (operands.size() != 2) {
            return usage();
        }
        Range range = requestRange();
        if (range == null) {
            return FAILED;
        }
        long began = System.nanoTime();
        try {
            checkRange(range.offset(), range.length());
            image().discard(range.offset(), range.length());
        } catch (IOException e) {
            return requestFailed("discard", e);
        }
        shell.out(report.of("discard", System.nanoTime() - began, range.offset(), range.length()));
        return OK;
    }
}
