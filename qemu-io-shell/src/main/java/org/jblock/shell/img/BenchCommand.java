package org.jblock.shell.img;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.BlockException;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.IoBuffers;
import org.jblock.registry.CacheMode;
import org.jblock.ops.Workers;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bench [-c count] [-d depth] [-f fmt] [-s size] [-S step] [-o offset] [-w] [--pattern p]
 * [--flush-interval n] [--no-drain] [-t cache] [-q] filename}: qemu-img bench's run: {@code count}
 * requests of {@code size} bytes, {@code depth} in flight, the n-th at {@code offset + n * step} modulo
 * the image size; then {@code Run completed in N seconds.}, timed from the first request to the last
 * completion.
 */
@Command(name = "bench", description = "Runs a simple I/O benchmark on an image.")
final class BenchCommand extends ImgCommand {
    private static final List<String> AIO_MODES = List.of("threads", "native", "io_uring");

    @Option(names = "-c", paramLabel = "count", defaultValue = "75000", description = "Requests (default 75000).")
    long count;

    @Option(names = "-d", paramLabel = "depth", defaultValue = "64", description = "Requests in flight (default 64).")
    int depth;

    @Option(names = "-f", paramLabel = "fmt", description = "Format (probed when absent).")
    String format;

    @Option(names = "-s", paramLabel = "buffer_size", defaultValue = "4096", description = "Bytes per request (default 4k).")
    String bufferSize;

    @Option(names = "-S", paramLabel = "step_size", description = "Bytes between request offsets (default: the buffer size).")
    String stepSize;

    @Option(names = "-o", paramLabel = "offset", defaultValue = "0", description = "Offset of the first request.")
    String offset;

    @Option(names = "-w", description = "Write instead of read.")
    boolean write;

    @Option(names = "--pattern", paramLabel = "pattern", defaultValue = "0", description = "Byte written by -w (default 0).")
    String pattern;

    @Option(names = "--flush-interval", paramLabel = "n", defaultValue = "0", description = "Flush after every n writes.")
    long flushInterval;

    @Option(names = "--no-drain", description = "Flush without waiting for the requests in flight.")
    boolean noDrain;

    @Option(names = "-t", paramLabel = "cache", defaultValue = "writeback",
            description = "Cache mode: writethrough and directsync flush after each write; the others use the page cache.")
    String cache;

    @Option(names = "-i", paramLabel = "aio", description = "Accepted for compatibility (threads, native, io_uring): "
            + "requests in flight run on threads of their own.")
    String aio;

    @Option(names = "-n", description = "Accepted for compatibility (native I/O): jblock-img uses the page cache.")
    boolean nativeIo;

    @Option(names = "-q", description = "Quiet: print nothing.")
    boolean quiet;

    @Option(names = "-U", description = "Open without taking a lock (reads only).")
    boolean forceShare;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    public Integer call() throws IOException {
        if (count < 0) {
            throw new InvalidOptionException("Invalid request count specified: " + count);
        }
        if (depth < 1 || depth > 4096) {
            throw new InvalidOptionException("Invalid queue depth specified: " + depth + " (1 to 4096)");
        }
        long size = CreateCommand.parseSize(bufferSize);
        if (size < 1 || size > Integer.MAX_VALUE / 2) {
            throw new InvalidOptionException("Invalid buffer size specified: " + bufferSize);
        }
        long step = stepSize == null ? size : CreateCommand.parseSize(stepSize);
        long start = CreateCommand.parseSize(offset);
        int fill = patternByte();
        if (aio != null && !AIO_MODES.contains(aio)) {
            throw new InvalidOptionException("Invalid aio option: " + aio);
        }
        CacheMode mode;
        try {
            mode = CacheMode.parse(cache);
        } catch (InvalidOptionException e) {
            throw new InvalidOptionException("Invalid cache mode: " + cache);
        }
        if (flushInterval < 0 || (flushInterval > 0 && !write)) {
            throw new InvalidOptionException("--flush-interval is only available in write tests");
        }
        boolean flushEachWrite = write && mode.writethrough();
        try (BlockImage image = open(filename, format, !write, forceShare)) {
            if (!quiet) {
                out().println(String.format(Locale.ROOT,
                        "Sending %d %s requests, %d bytes each, %d in parallel (starting at offset %d, step size %d)%s",
                        count, write ? "write" : "read", size, depth, start, step,
                        flushInterval > 0 ? ", flush interval " + flushInterval + (noDrain ? " (without draining)" : "") : ""));
                out().flush();
            }
            double seconds;
            try (Progress progress = progress(!quiet)) {
                progress.total(count);
                Run run = new Run(image, (int) size, step, start, fill, flushEachWrite, progress);
                long began = System.nanoTime();
                run.execute();
                seconds = (System.nanoTime() - began) / 1e9;
            }
            if (!quiet) {
                out().println(String.format(Locale.ROOT, "Run completed in %3.3f seconds.", seconds));
            }
        }
        return 0;
    }

    private int patternByte() throws InvalidOptionException {
        try {
            int value = Integer.decode(pattern);
            if (value >= 0 && value <= 0xff) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below with the accepted range.
        }
        throw new InvalidOptionException("Invalid pattern byte specified: " + pattern + " (0 to 255)");
    }

    /** One benchmark run: the request offsets and the workers that keep {@code depth} requests in flight. */
    private final class Run {
        private final BlockImage image;
        private final int size;
        private final long step;
        private final long start;
        private final int fill;
        private final boolean flushEachWrite;
        private final long imageSize;
        private final AtomicLong issued = new AtomicLong();
        private final Progress progress;
        /** Requests between progress reports: a hundredth of the run, so reporting costs nothing measurable. */
        private final long reportEvery;

        Run(BlockImage image, int size, long step, long start, int fill, boolean flushEachWrite, Progress progress)
                throws IOException {
            this.image = image;
            this.size = size;
            this.step = step;
            this.start = start;
            this.fill = fill;
            this.flushEachWrite = flushEachWrite;
            this.imageSize = image.size();
            this.progress = progress;
            this.reportEvery = Math.max(1, count / 100);
        }

        void execute() throws IOException {
            Workers.run((int) Math.min(depth, Math.max(1, count)), "bench-worker", this::requests);
        }

        /** Takes request numbers until {@code count} are issued; each request uses this worker's buffer. */
        private void requests() throws IOException {
            ByteBuffer buffer = IoBuffers.allocate(size);
            if (write && fill != 0) {
                for (int i = 0; i < size; i++) {
                    buffer.put(i, (byte) fill);
                }
            }
            long n;
            while ((n = issued.getAndIncrement()) < count) {
                long at = offsetOf(n);
                buffer.clear();
                try {
                    if (write) {
                        image.write(at, buffer);
                        if (flushEachWrite || (flushInterval > 0 && (n + 1) % flushInterval == 0)) {
                            image.flush();
                        }
                    } else {
                        image.read(at, buffer);
                    }
                    if ((n + 1) % reportEvery == 0) {
                        progress.advance(reportEvery);
                    }
                } catch (IOException e) {
                    issued.set(count);
                    throw new BlockException("Failed request: " + Messages.describe(e), e);
                }
            }
        }

        /**
         * qemu-img bench's offset walk: the first request at {@code start}, each next one {@code step}
         * further, wrapping at the image size.
         */
        private long offsetOf(long n) {
            if (n == 0 || imageSize == 0) {
                return n == 0 ? start : 0;
            }
            long distance = n * step;
            if (Math.multiplyHigh(n, step) == 0 && distance >= 0 && distance <= Long.MAX_VALUE - start) {
                return (start + distance) % imageSize;
            }
            return java.math.BigInteger.valueOf(n).multiply(java.math.BigInteger.valueOf(step))
                    .add(java.math.BigInteger.valueOf(start)).mod(java.math.BigInteger.valueOf(imageSize)).longValue();
        }
    }
}
