package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code writev [-Cfq] [-P pattern] off len [len..]}: one write from several buffers. */
@Command(name = "writev")
final class WritevCommand extends IoCommand {
    @Option(names = "-C") boolean csv;
    @Option(names = "-f") boolean forceUnitAccess;
    @Option(names = "-q") boolean quiet;
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
            checkRange(offset, total);
            byte[] data = Patterns.filled(total, fill);
            shell.guardProbedRaw(offset, data);
            image().write(offset, ByteBuffer.wrap(data));
            if (forceUnitAccess) {
                image().flush();
            }
        } catch (IOException e) {
            return requestFailed("writev", e);
        }
        long elapsed = System.nanoTime() - began;
        if (!quiet) {
            shell.out(Reports.report("wrote", elapsed, offset, total, total, 1, csv));
        }
        return OK;
    }
}
