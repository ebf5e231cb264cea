package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.jblock.api.UnsupportedFeatureException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code read [-bCqv] [-P pattern [-s off] [-l len]] off len}: reads, optionally verifies and dumps. */
@Command(name = "read")
final class ReadCommand extends IoCommand {
    @Option(names = "-b") boolean vmState;
    @Option(names = "-C") boolean csv;
    @Option(names = "-l") String patternLength;
    @Option(names = "-p") boolean ignored;
    @Option(names = "-P") String pattern;
    @Option(names = "-q") boolean quiet;
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
        if (pattern == null && (patternLength != null || patternStart != null)) {
            return usage();
        }
        long verifyCount = verifyLength != null ? verifyLength : length - start;
        if (verifyCount < 0 || verifyCount + start > length) {
            return fail("pattern verification range exceeds end of read data");
        }
        byte[] data = readBuffer((int) (long) length);
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
        String report = readReport(data, offset, System.nanoTime() - began, expected, (int) (long) start,
                (int) verifyCount, quiet, dump, csv);
        shell.out(report);
        return mismatched(report) ? FAILED : OK;
    }
}
