package org.jblock.shell.io;

import java.io.IOException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code aio_write [-Cfiquz] [-P pattern] off len [len..]}: starts a write and returns at once;
 * the report is printed when it completes. It counts as a success once submitted.
 */
@Command(name = "aio_write")
final class AioWriteCommand extends IoCommand {
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-f") boolean forceUnitAccess;
    @Option(names = "-i") boolean invalid;
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
        Range range = zeroes ? offsetAndLength() : vectoredRange();
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
            writeRequest(offset, total, data, mayUnmap, forceUnitAccess);
        } catch (IOException e) {
            return "aio_write failed: " + IoShell.errnoText(e) + "\n";
        }
        return report.of("wrote", System.nanoTime() - began, offset, total);
    }
}
