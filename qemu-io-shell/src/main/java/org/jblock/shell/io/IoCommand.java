package org.jblock.shell.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidRequestException;

import picocli.CommandLine.Parameters;

/**
 * The base of every shell command: one picocli-parsed object per run, bound to the shell whose
 * image it works on and whose output it writes to.
 *
 * <p>{@link #call()} returns {@link #OK} or {@link #FAILED}; a failed command has already printed
 * why, in qemu-io's words.
 */
abstract class IoCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = -1;

    @Parameters(arity = "0..*", paramLabel = "arg")
    List<String> operands = new ArrayList<>();

    IoShell shell;
    CommandInfo info;

    final void bind(IoShell boundShell, CommandInfo command) {
        this.shell = boundShell;
        this.info = command;
    }

    @Override
    public abstract Integer call();

    /** Prints the usage line (to stdout, as qemu-io) and fails. */
    final int usage() {
        shell.out(info.usage() + "\n");
        return FAILED;
    }

    /** Prints {@code line} on stdout and fails: qemu-io reports argument errors there. */
    final int fail(String line) {
        shell.out(line + "\n");
        return FAILED;
    }

    final BlockImage image() {
        return shell.image();
    }

    /** A byte count as qemu-io's {@code cvtnum} reads it, or null after printing why it is not one. */
    final Long count(String text) {
        try {
            return QemuNumbers.byteCount(text, warning -> shell.err(IoShell.PROGRAM + ": " + warning + "\n"));
        } catch (QemuNumbers.BadNumberException e) {
            shell.out(e.getMessage() + "\n");
            return null;
        }
    }

    /** A pattern byte, or null after printing why it is not one. */
    final Integer pattern(String text) {
        try {
            return QemuNumbers.patternByte(text);
        } catch (QemuNumbers.BadNumberException e) {
            shell.out(e.getMessage() + "\n");
            return null;
        }
    }

    /**
     * Refuses a request outside the image before any I/O, as QEMU's block layer does.
     *
     * @throws InvalidRequestException when {@code [offset, offset+length)} is not inside the image
     */
    final void checkRange(long offset, long length) throws IOException {
        if (!shell.inRange(offset, length)) {
            throw new InvalidRequestException(image().name() + ": request at offset " + offset + " for " + length
                    + " bytes is beyond the end of the image");
        }
    }

    /**
     * The lengths of a vectored request ({@code len [len..]}), or null after printing why they are
     * not valid: each a byte count, each and their sum within the block layer's request limit.
     */
    final long[] lengths(List<String> words) {
        long[] lengths = new long[words.size()];
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            Long length = count(words.get(i));
            if (length == null) {
                return null;
            }
            if (length > QemuNumbers.REQUEST_MAX_BYTES) {
                fail("Argument '" + words.get(i) + "' exceeds maximum size " + QemuNumbers.REQUEST_MAX_BYTES);
                return null;
            }
            if (total > QemuNumbers.REQUEST_MAX_BYTES - length) {
                fail("The total number of bytes exceed the maximum size " + QemuNumbers.REQUEST_MAX_BYTES);
                return null;
            }
            lengths[i] = length;
            total += length;
        }
        return lengths;
    }

    private static long sum(long[] lengths) {
        long total = 0;
        for (long length : lengths) {
            total += length;
        }
        return total;
    }

    /** A request's byte range. */
    record Range(long offset, long length) {
    }

    /**
     * The range of a command's {@code off len} operands (the first two), or null after printing why
     * they are not one.
     */
    final Range offsetAndLength() {
        Long offset = count(operands.get(0));
        if (offset == null) {
            return null;
        }
        Long length = count(operands.get(1));
        return length == null ? null : new Range(offset, length);
    }

    /**
     * {@link #offsetAndLength()} of a request that must fit the block layer's request limit, or null
     * after printing why it does not.
     */
    final Range requestRange() {
        Range range = offsetAndLength();
        if (range != null && range.length() > QemuNumbers.REQUEST_MAX_BYTES) {
            fail("length cannot exceed " + QemuNumbers.REQUEST_MAX_BYTES + ", given " + operands.get(1));
            return null;
        }
        return range;
    }

    /**
     * The range of a vectored command ({@code off len [len..]}): the offset and the lengths' sum,
     * or null after printing why the words are not one.
     */
    final Range vectoredRange() {
        if (operands.size() < 2) {
            usage();
            return null;
        }
        Long offset = count(operands.get(0));
        if (offset == null) {
            return null;
        }
        long[] lengths = lengths(operands.subList(1, operands.size()));
        return lengths == null ? null : new Range(offset, sum(lengths));
    }

    /**
     * What a read prints after its data arrived: the pattern complaint, then the dump (with
     * {@code dump}) and the report, unless quiet.
     *
     * @param expected the pattern byte to verify, or null
     * @param verifyFrom where in {@code data} verification starts
     * @param verifyCount how many bytes it covers
     */
    static String readReport(byte[] data, long offset, long elapsedNanos, Integer expected, int verifyFrom,
                             int verifyCount, ReportOptions report, boolean dump) {
        StringBuilder text = new StringBuilder();
        if (expected != null && !Patterns.matches(data, verifyFrom, verifyCount, expected)) {
            text.append("Pattern verification failed at offset ").append(offset + verifyFrom).append(", ")
                    .append(verifyCount).append(" bytes\n");
        }
        if (dump && !report.quiet) {
            text.append(Reports.hexDump(data, 0, data.length, offset));
        }
        text.append(report.of("read", elapsedNanos, offset, data.length));
        return text.toString();
    }

    /**
     * Reads a whole vectored range (its buffers are one after another in memory, so one read
     * serves) and tells what {@link #readReport} prints of it.
     */
    final String readVectored(Range range, Integer expected, ReportOptions report, boolean dump) throws IOException {
        byte[] data = readBuffer((int) range.length());
        long began = System.nanoTime();
        checkRange(range.offset(), range.length());
        image().read(range.offset(), ByteBuffer.wrap(data));
        return readReport(data, range.offset(), System.nanoTime() - began, expected, 0, data.length, report, dump);
    }

    /**
     * Writes {@code data} at {@code offset}, or zeroes {@code length} bytes there when it is null,
     * after the checks every write passes; flushes afterwards when {@code forceUnitAccess}.
     */
    final void writeRequest(long offset, long length, byte[] data, boolean mayUnmap, boolean forceUnitAccess)
            throws IOException {
        checkRange(offset, length);
        if (data == null) {
            image().writeZeroes(offset, length, mayUnmap);
        } else {
            shell.guardProbedRaw(offset, data);
            image().write(offset, ByteBuffer.wrap(data));
        }
        if (forceUnitAccess) {
            image().flush();
        }
    }

    /** @return whether {@link #readReport} found a pattern mismatch */
    static boolean mismatched(String report) {
        return report.startsWith("Pattern verification failed");
    }

    /** @return a read buffer, prefilled with 0xab as qemu-io's are (what a failed read leaves shows it) */
    /**
     * @return a buffer for a read of {@code length} bytes, filled as qemu-io fills it
     * @throws org.jblock.api.BlockException when the heap has no room for it (qemu-io's words)
     */
    final byte[] readBuffer(int length) throws org.jblock.api.BlockException {
        byte[] data;
        try {
            data = new byte[length];
        } catch (OutOfMemoryError e) {
            // One array too large for the heap: nothing else is lost, the shell goes on.
            throw new org.jblock.api.BlockException("Failed to allocate memory: Cannot allocate memory ("
                    + length + " bytes; a larger -Xmx in JAVA_TOOL_OPTIONS gives the JVM more)");
        }
        java.util.Arrays.fill(data, (byte) 0xab);
        return data;
    }

    /** Prints {@code "<what> failed: <reason>"} for a request that failed. */
    final int requestFailed(String what, IOException e) {
        shell.out(what + " failed: " + IoShell.errnoText(e) + "\n");
        return FAILED;
    }
}
