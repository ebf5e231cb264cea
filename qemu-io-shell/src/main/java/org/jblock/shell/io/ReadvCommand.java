package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code readv [-Cqv] [-P pattern] off len [len..]}: one read into several buffers. */
@Command(name = "readv")
final class ReadvCommand extends IoCommand {
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-P") String pattern;
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
        String text;
        try {
            text = readVectored(range, expected, report, dump);
        } catch (IOException e) {
            return requestFailed("readv", e);
        }
        shell.out(text);
        return mismatched(text) ? FAILED : OK;
    }
}
