package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code aio_read [-Ciqv] [-P pattern] off len [len..]}: starts a read and returns at once; the
 * report is printed when it completes. It counts as a success once submitted.
 */
@Command(name = "aio_read")
final class AioReadCommand extends IoCommand {
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-P") String pattern;
    @Option(names = "-i") boolean invalid;
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
        try {
            return readVectored(range, expected, report, dump);
        } catch (IOException e) {
            return "readv failed: " + IoShell.errnoText(e) + "\n";
        }
    }
}
