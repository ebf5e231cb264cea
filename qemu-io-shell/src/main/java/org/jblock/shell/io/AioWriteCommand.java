package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aio_write [-Cfiquz] [-P pattern] off len [len..]}: starts a write and returns at once;
 * the report is printed when it completes. It counts as a success once submitted.
 */
@Command(name = "aio_write")
final class AioWriteCommand extends IoCommand {
    @Option(names = "-C") boolean csv;
    @Option(names = "-f") boolean forceUnitAccess;
    @Option(names = "-i") boolean invalid;
    @Option(names = "-q") boolean quiet;
    @Option(names = "-P") String pattern;
    @Option(names = "-u") boolean mayUnmap;
    @Option(names = "-z") boolean zeroes;

    @Override
    public Integer call() {
        if (invalid) {
            shell.out("injecting invalid write request\n");
            return OK;
        }
        Integer fill = 0xcd;
        if (pattern != null && (fill = pattern(pattern)) == null) {
            return FAILED;
        }
        if (operands.size() < 2) {
            return usage();
        }
        if (zeroes && operands.size() != 2) {
            return fail("-z supports only a single length parameter");
        }
        if (mayUnmap && !zeroes) {
            return fail("-u requires -z to be specified");
        }
        Range range;
        if (zeroes) {
            Long offset = count(operands.get(0));
            Long length = offset == null ? null : count(operands.get(1));
            range = length == null ? null : new Range(offset, length);
        } else {
            range = vectoredRange();
        }
        if (range == null) {
            return FAILED;
        }
        long offset = range.offset();
        long total = range.length();
        byte[] data = zeroes ? null : Patterns.filled((int) total, fill);
        shell.submitAio(() -> complete(offset, total, data));
        return OK;
    }

    private String complete(long offset, long total, byte[] data) {
        long began = System.nanoTime();
        try {
            checkRange(offset, total);
            if (data == null) {
                image().writeZeroes(offset, total, mayUnmap);
            } else {
                shell.guardProbedRaw(offset, data);
                image().write(offset, ByteBuffer.wrap(data));
            }
            if (forceUnitAccess) {
                image().flush();
            }
        } catch (IOException e) {
            return "aio_write failed: " + IoShell.errnoText(e) + "\n";
        }
        long elapsed = System.nanoTime() - began;
        return quiet ? "" : Reports.report("wrote", elapsed, offset, total, total, 1, csv);
    }
}
