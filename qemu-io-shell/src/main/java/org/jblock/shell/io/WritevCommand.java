package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code writev [-Cfq] [-P pattern] off len [len..]}: one write from several buffers. */
@Command(name = "writev")
final class WritevCommand extends IoCommand {
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-f") boolean forceUnitAccess;
    @Option(names = "-P") String pattern;

    @Override
    public Integer call() {
        Integer fill = 0xcd;
        if (pattern != null && (fill = pattern(pattern)) == null) {
            return FAILED;
        }
        Range range = vectoredRange();
        if (range == null) {
            return FAILED;
        }
        long offset = range.offset();
        int total = (int) range.length();
        long began = System.nanoTime();
        try {
            writeRequest(offset, total, Patterns.filled(total, fill), false, forceUnitAccess);
        } catch (IOException e) {
            return requestFailed("writev", e);
        }
        shell.out(report.of("wrote", System.nanoTime() - began, offset, total));
        return OK;
    }
}
