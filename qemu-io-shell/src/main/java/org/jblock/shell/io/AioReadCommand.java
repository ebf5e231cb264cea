package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aio_read [-Ciqv] [-P pattern] off len [len..]}: starts a read and returns at once; the
 * report is printed when it completes. It counts as a success once submitted.
 */
@Command(name = "aio_read")
final class AioReadCommand extends IoCommand {
    @Option(names = "-C") boolean csv;
    @Option(names = "-P") String pattern;
    @Option(names = "-i") boolean invalid;
    @Option(names = "-q") boolean quiet;
    @Option(names = "-v") boolean dump;

    @Override
    public Integer call() {
        if (invalid) {
            shell.out("injecting invalid read request\n");
            return OK;
        }
        Integer expected = null;
        if (pattern != null && (expected = pattern(pattern)) == null) {
            return FAILED;
        }
        Range range = vectoredRange();
        if (range == null) {
            return FAILED;
        }
        Integer verify = expected;
        shell.submitAio(() -> complete(range, verify));
        return OK;
    }

    private String complete(Range range, Integer expected) {
        byte[] data = readBuffer((int) range.length());
        long began = System.nanoTime();
        try {
            checkRange(range.offset(), range.length());
            image().read(range.offset(), ByteBuffer.wrap(data));
        } catch (IOException e) {
            return "readv failed: " + IoShell.errnoText(e) + "\n";
        }
        return readReport(data, range.offset(), System.nanoTime() - began, expected, 0, data.length, quiet, dump, csv);
    }
}
