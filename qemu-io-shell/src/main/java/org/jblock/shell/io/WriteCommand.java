package org.jblock.shell.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jblock.api.UnsupportedFeatureException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code write [-bcCfnquz] [-P pattern | -s source_file] off len}: writes a pattern, a file's
 * bytes or zeroes.
 */
@Command(name = "write")
final class WriteCommand extends IoCommand {
    private static final int SECTOR = 512;
    private static final int DEFAULT_PATTERN = 0xcd;

    @Option(names = "-b") boolean vmState;
    @Option(names = "-c") boolean compressed;
    @Mixin ReportOptions report = new ReportOptions();
    @Option(names = "-f") boolean forceUnitAccess;
    @Option(names = "-n") boolean noFallback;
    @Option(names = "-p") boolean ignored;
    @Option(names = "-P") String pattern;
    @Option(names = "-u") boolean mayUnmap;
    @Option(names = "-z") boolean zeroes;
    @Option(names = "-s") String sourceFile;

    @Override
    public Integer call() {
        Integer fill = DEFAULT_PATTERN;
        if (pattern != null && (fill = pattern(pattern)) == null) {
            return FAILED;
        }
        if (operands.size() != 2) {
            return usage();
        }
        if (vmState && zeroes) {
            return fail("-b and -z cannot be specified at the same time");
        }
        if (forceUnitAccess && (vmState || compressed)) {
            return fail("-f and -b or -c cannot be specified at the same time");
        }
        if (noFallback && !zeroes) {
            return fail("-n requires -z to be specified");
        }
        if (mayUnmap && !zeroes) {
            return fail("-u requires -z to be specified");
        }
        if ((zeroes ? 1 : 0) + (pattern != null ? 1 : 0) + (sourceFile != null ? 1 : 0) > 1) {
            return fail("Only one of -z, -P, and -s can be specified at the same time");
        }
        Range range = offsetAndLength();
        if (range == null) {
            return FAILED;
        }
        long offset = range.offset();
        long length = range.length();
        if (length > QemuNumbers.REQUEST_MAX_BYTES && !noFallback) {
            return fail("length cannot exceed " + QemuNumbers.REQUEST_MAX_BYTES + " without -n, given "
                    + operands.get(1));
        }
        if (vmState || compressed) {
            if (offset % SECTOR != 0) {
                return fail(offset + " is not a sector-aligned value for 'offset'");
            }
            if (length % SECTOR != 0) {
                return fail(length + " is not a sector-aligned value for 'count'");
            }
        }
        byte[] data = null;
        if (!zeroes) {
            data = sourceFile != null ? fromFile(sourceFile, (int) length) : Patterns.filled((int) length, fill);
            if (data == null) {
                return FAILED;
            }
        }
        long began = System.nanoTime();
        try {
            if (vmState) {
                throw new UnsupportedFeatureException("the VM state is not supported");
            }
            if (compressed) {
                throw new UnsupportedFeatureException("compressed writes are not supported");
            }
            writeRequest(offset, length, data, mayUnmap, forceUnitAccess);
        } catch (IOException e) {
            return requestFailed("write", e);
        }
        shell.out(report.of("wrote", System.nanoTime() - began, offset, length));
        return OK;
    }

    /**
     * The first {@code length} bytes of the file, repeated to {@code length} when it is shorter, or
     * null after saying why it cannot be read.
     */
    private byte[] fromFile(String file, int length) {
        byte[] source;
        try (java.io.InputStream in = Files.newInputStream(Path.of(file))) {
            source = in.readNBytes(length);
        } catch (IOException | RuntimeException e) {
            shell.err(file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "No such file or directory" : IoShell.messageText(e)) + "\n");
            return null;
        }
        if (source.length == 0) {
            shell.out("the pattern file " + file + " is empty\n");
            return null;
        }
        byte[] data = new byte[length];
        for (int at = 0; at < length; at += source.length) {
            System.arraycopy(source, 0, data, at, Math.min(source.length, length - at));
        }
        return data;
    }
}
