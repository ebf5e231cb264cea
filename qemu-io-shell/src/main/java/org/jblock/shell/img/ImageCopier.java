package org.jblock.shell.img;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;

/**
 * The engine of {@code convert}: copies the concatenation of source images into a target with
 * several chunks in flight, writing nothing for zeros when the target already reads as zeros
 * (sparse output).
 *
 * <p>Each worker takes the next chunk, asks the source's block status (runs the source knows to be
 * zero are not read), reads the rest into its own direct buffer and splits it into granules of
 * {@code sparseSize} bytes; runs of non-zero granules are written with one request each. In order
 * (the default) writes happen in chunk order, so a format that allocates at its end lays the target
 * out in disk order while reads still run ahead; out of order ({@code -W}) each worker writes as soon
 * as its chunk is read.
 */
final class ImageCopier {
    /** Bytes per unit of work: a VHD block, so a chunk never splits one block between workers. */
    static final int CHUNK = 2 << 20;

    private final List<BlockImage> sources;
    private final long[] sourceStarts;
    private final long[] chunkStarts;
    private final long totalChunks;
    private final BlockImage target;
    private final boolean targetIsZero;
    private final int sparseSize;
    private final int workers;
    private final boolean outOfOrder;
    private final Progress progress;

    private final Object turn = new Object();
    /** Chunks done (written or skipped) past {@link #nextToWrite}. */
    private final TreeSet<Long> doneAhead = new TreeSet<>();
    private long nextToWrite;
    private long nextToTake;
    private volatile boolean failed;
    private final AtomicReference<IOException> firstFailure = new AtomicReference<>();

    /**
     * @param targetIsZero whether the target reads as zeros already (a new image): zeros are skipped,
     *                     otherwise they are written as write-zeroes requests
     * @param sparseSize   the granule of zero detection in bytes (a multiple of 512 up to
     *                     {@link #CHUNK}), or 0 to write every byte read
     */
    ImageCopier(List<BlockImage> sources, BlockImage target, boolean targetIsZero, int sparseSize, int workers,
                boolean outOfOrder, Progress progress) throws IOException {
        this.sources = List.copyOf(sources);
        this.sourceStarts = new long[sources.size() + 1];
        this.chunkStarts = new long[sources.size() + 1];
        for (int i = 0; i < sources.size(); i++) {
            long size = sources.get(i).size();
            sourceStarts[i + 1] = sourceStarts[i] + size;
            chunkStarts[i + 1] = chunkStarts[i] + (size + CHUNK - 1) / CHUNK;
        }
        this.totalChunks = chunkStarts[sources.size()];
        this.target = target;
        this.targetIsZero = targetIsZero;
        this.sparseSize = sparseSize;
        this.workers = Math.max(1, workers);
        this.outOfOrder = outOfOrder;
        this.progress = progress;
    }

    /** @return the bytes of all sources together */
    long totalSize() {
        return sourceStarts[sources.size()];
    }

    /** Copies everything; on failure the first error is thrown and the other workers stop. */
    void copy() throws IOException {
        progress.total(totalSize());
        try {
            Workers.run((int) Math.min(workers, Math.max(1, totalChunks)), "convert-worker", this::work);
        } catch (IOException e) {
            // Workers stopped by the failure report that; the failure itself is the news.
            IOException first = firstFailure.get();
            throw first != null ? first : e;
        }
    }

    private void work() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        try {
            long chunk;
            while ((chunk = take()) >= 0) {
                copyChunk(chunk, buffer);
            }
        } catch (IOException e) {
            firstFailure.compareAndSet(null, e);
            stopAll();
            throw e;
        } catch (RuntimeException | Error e) {
            stopAll();
            throw e;
        }
    }

    private void stopAll() {
        failed = true;
        synchronized (turn) {
            turn.notifyAll();
        }
    }

    private long take() {
        synchronized (turn) {
            if (failed || nextToTake >= totalChunks) {
                return -1;
            }
            return nextToTake++;
        }
    }

    private void copyChunk(long chunk, ByteBuffer buffer) throws IOException {
        int source = sourceOf(chunk);
        BlockImage image = sources.get(source);
        long sourceOffset = (chunk - chunkStarts[source]) * CHUNK;
        long targetOffset = sourceStarts[source] + sourceOffset;
        int length = (int) Math.min(CHUNK, image.size() - sourceOffset);

        // Which bytes of the chunk hold data: a zero run the source reports is never read.
        List<long[]> runs = new ArrayList<>();
        for (Extent e : image.blockStatus(sourceOffset, length)) {
            if (e.zero()) {
                continue;
            }
            int from = (int) (e.start() - sourceOffset);
            image.read(e.start(), buffer.clear().position(from).limit(from + (int) e.length()).slice());
            splitData(buffer, from, from + (int) e.length(), runs);
        }

        awaitTurn(chunk, runs.isEmpty() && targetIsZero);
        try {
            writeRuns(buffer, targetOffset, length, runs);
        } finally {
            done(chunk);
        }
        progress.advance(length);
    }

    /** Adds to {@code runs} the {@code [from, to)} runs of non-zero granules of {@code buffer[from, to)}. */
    private void splitData(ByteBuffer buffer, int from, int to, List<long[]> runs) {
        if (sparseSize == 0) {
            addRun(runs, from, to);
            return;
        }
        int at = from;
        while (at < to) {
            int nonZero = Zeroes.firstNonZero(buffer, at, to - at);
            if (nonZero < 0) {
                return;
            }
            int granuleStart = Math.max(at, nonZero - nonZero % sparseSize);
            int end = granuleStart;
            // Extend over granules until one is all zero.
            while (end < to) {
                int granuleEnd = Math.min(to, end - end % sparseSize + sparseSize);
                if (end > granuleStart && Zeroes.isZero(buffer, end, granuleEnd - end)) {
                    break;
                }
                end = granuleEnd;
            }
            addRun(runs, granuleStart, end);
            at = end;
        }
    }

    private static void addRun(List<long[]> runs, int from, int to) {
        int last = runs.size() - 1;
        if (last >= 0 && runs.get(last)[1] == from) {
            runs.get(last)[1] = to;
        } else {
            runs.add(new long[] {from, to});
        }
    }

    private void writeRuns(ByteBuffer buffer, long targetOffset, int length, List<long[]> runs) throws IOException {
        int at = 0;
        for (long[] run : runs) {
            int from = (int) run[0];
            int to = (int) run[1];
            if (!targetIsZero && from > at) {
                target.writeZeroes(targetOffset + at, from - at, true);
            }
            target.write(targetOffset + from, buffer.clear().position(from).limit(to).slice());
            at = to;
        }
        if (!targetIsZero && at < length) {
            target.writeZeroes(targetOffset + at, length - at, true);
        }
    }

    private int sourceOf(long chunk) {
        int i = 0;
        while (chunkStarts[i + 1] <= chunk) {
            i++;
        }
        return i;
    }

    /** Waits until every earlier chunk is written, unless writes may go out of order or there is nothing to write. */
    private void awaitTurn(long chunk, boolean nothingToWrite) throws IOException {
        if (outOfOrder || nothingToWrite) {
            return;
        }
        synchronized (turn) {
            while (nextToWrite != chunk) {
                if (failed) {
                    throw new InterruptedIOException("conversion stopped by an earlier failure");
                }
                try {
                    turn.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("conversion interrupted");
                }
            }
        }
    }

    /** Marks {@code chunk} done and moves the write turn past every chunk done so far. */
    private void done(long chunk) {
        synchronized (turn) {
            doneAhead.add(chunk);
            while (doneAhead.remove(nextToWrite)) {
                nextToWrite++;
            }
            turn.notifyAll();
        }
    }
}
