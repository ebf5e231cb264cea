package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.UnsupportedFeatureException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code read [-bCqv] [-P pattern [-s off] [-l len]] off len}: reads, optionally verifies and dumps. */
@Command(name = "read")
final class ReadCommand extends IoCommand {
    @Option(names = "-b") boolean vmState;
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-l") String patternLength;
    @Option(names = "-p") boolean ignored;
    @Option(names = "-P") String pattern;
    @Option(names = "-s") String patternStart;
    @Option(names = "-v") boolean dump;

    @Override
    public Integer call() {
        Integer expected = null;
        if (pattern != null && (expected = pattern(pattern)) == null) {
            return FAILED;
        }
        Long start = 0L;
        if (patternStart != null && (start = count(patternStart)) == null) {
            return FAILED;
        }
        Long verifyLength = null;
        if (patternLength != null && (verifyLength = count(patternLength)) == null) {
            return FAILED;
        }
        if (operands.size() != 2) {
            return usage();
        }
        Range range = requestRange();
        if (range == null) {
            return FAILED;
        }
        long offset = range.offset();
        long length = range.length();
        if (pattern == null && (patternLength != null || patternStart != null)) {
            return usage();
        }
        long verifyCount = verifyLength != null ? verifyLength : length - start;
        if (verifyCount < 0 || verifyCount + start > length) {
            return fail("pattern verification range exceeds end of read data");
        }
        byte[] data;
        try {
            data = readBuffer((int) length);
        } catch (IOException e) {
            return fail(e.getMessage());
        }
        long began = System.nanoTime();
        try {
            if (vmState) {
                throw new UnsupportedFeatureException("the VM state is not supported");
            }
            checkRange(offset, length);
            image().read(offset, ByteBuffer.wrap(data));
        } catch (IOException e) {
            return requestFailed("read", e);
        }
        String text = readReport(data, offset, System.nanoTime() - began, expected, (int) (long) start,
                (int) verifyCount, report, dump);
        shell.out(text);
        return mismatched(text) ? FAILED : OK;
    }
}
