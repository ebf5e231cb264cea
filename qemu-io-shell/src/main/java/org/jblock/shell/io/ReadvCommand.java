package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code readv [-Cqv] [-P pattern] off len [len..]}: one read into several buffers. */
@Command(name = "readv")
final class ReadvCommand extends IoCommand {
    @Option(names = "-C") boolean csv;
    @Option(names = "-P") String pattern;
    @Option(names = "-q") boolean quiet;
    @Option(names = "-v") boolean dump;

    @Override
    public Integer call() {
        Integer expected = null;
        if (pattern != null && (expected = pattern(pattern)) == null) {
            return FAILED;
        }
        Range range = vectoredRange();
        if (range == null) {
            return FAILED;
        }
        byte[] data = readBuffer((int) range.length());
        long began = System.nanoTime();
        try {
            checkRange(range.offset(), range.length());
            image().read(range.offset(), ByteBuffer.wrap(data));
        } catch (IOException e) {
            return requestFailed("readv", e);
        }
        String report = readReport(data, range.offset(), System.nanoTime() - began, expected, 0, data.length, quiet,
                dump, csv);
        shell.out(report);
        return mismatched(report) ? FAILED : OK;
    }
}
