package org.jblock.shell.io;

import picocli.CommandLine.Option;

/**
 * {@code -C} and {@code -q}, shared by the commands that report a request: the report line in
 * qemu-io's CSV form, or none at all.
 */
final class ReportOptions {
    @Option(names = "-C") boolean csv;
    @Option(names = "-q") boolean quiet;

    /** @return the report of one request of {@code length} bytes, or nothing when quiet */
    String of(String op, long elapsedNanos, long offset, long length) {
        return quiet ? "" : Reports.report(op, elapsedNanos, offset, length, length, 1, csv);
    }
}
