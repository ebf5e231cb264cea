package org.jblock.ops;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.IoBuffers;
import org.jblock.api.ProgressListener;

/**
 * The engine of {@code convert}: copies the concatenation of source images into a target with
 * several chunks in flight, writing nothing for zeros when the target already reads as zeros
 * (sparse output).
 *
 * <p>Each worker takes the next chunk, asks the source's block status (runs the source knows to be
 * zero are not read), reads the rest into its own direct buffer and splits it into granules of
 * {@code sparseSize} bytes; runs of non-zero granules are written with one request each. In order
 * (the default) the first write into each chunk happens in chunk order, so a format that allocates
 * space at its end on a first write lays the target out in disk order, while reads and the rest of
 * the writes run in parallel; out of order ({@code -W}) each worker writes as soon as its chunk is read.
 *
 * <p>A copier may be told to copy only some runs of the source ({@link #only}): {@code commit} copies
 * the runs of the layers above its base and leaves the rest of the base alone.
 *
 * <p>A salvaging copier ({@link #salvaging}, qemu-img's {@code convert --salvage}) goes on where the
 * source fails: a range whose block status cannot be had is narrowed down to the sectors that fail,
 * and those are read as data; a range that cannot be read is read again sector by sector, and each
 * sector that still fails is copied as zeros. Every such sector is reported, so nothing is lost
 * silently, in qemu-img's order: one pass over the block status of the whole source first (qemu-img
 * makes it to count the data), then chunk by chunk, one worker, each chunk's block status before
 * its reads.
 */
public final class ImageCopier {
    /** Bytes per unit of work: a VHD block, so a chunk never splits one block between workers. */
    public static final int CHUNK = 2 << 20;
    /** Bytes of a chunk written in chunk order when writes are in order (see {@link #copyChunk}). */
    private static final int FIRST_WRITE = 4096;
    /** The unit a salvaging copy gives up on: one sector. */
    private static final int SECTOR = 512;
    /**
     * How far one block-status question looks for zeros past a chunk that reads as zeros: a long
     * stretch of holes is passed in one step instead of chunk by chunk (compare does the same).
     */
    static final long SKIP_LOOKAHEAD = 1L << 30;

    /** Hears what a salvaging copy could not get from its source; offsets count across all sources. */
    public interface Salvage {
        /** The block status of the sector at {@code offset} failed: it is read as data. */
        void blockStatusFailed(long offset, IOException cause);

        /** The sector at {@code offset} could not be read: it is copied as zeros. */
        void readFailed(long offset, IOException cause);
    }

    private final List<BlockImage> sources;
    private final long[] sourceStarts;
    private final long[] chunkStarts;
    private final long totalChunks;
    private final BlockImage target;
    private final boolean targetIsZero;
    private final int sparseSize;
    private final int workers;
    private final boolean outOfOrder;
    private final ProgressListener progress;
    private final AtomicLong copied = new AtomicLong();
    private volatile Predicate<Extent> wanted = e -> true;
    /** Null: a source that fails fails the copy. */
    private volatile Salvage salvage;

    private final Object turn = new Object();
    /** Runs of chunks done (written or skipped) past {@link #nextToWrite}: first chunk to the one after the run. */
    private final TreeMap<Long, Long> doneAhead = new TreeMap<>();
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
    public ImageCopier(List<BlockImage> sources, BlockImage target, boolean targetIsZero, int sparseSize, int workers,
                       boolean outOfOrder, ProgressListener progress) throws IOException {
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

    /**
     * Copies only the source runs {@code wanted} accepts; the target's other bytes are left as they are
     * (neither written nor zeroed).
     *
     * @return this copier
     */
    public ImageCopier only(Predicate<Extent> wanted) {
        this.wanted = wanted;
        return this;
    }

    /**
     * Goes on past the source's failures, telling {@code listener} of each sector given up on (see
     * the class comment). An interruption still stops the copy.
     *
     * @return this copier
     */
    public ImageCopier salvaging(Salvage listener) {
        this.salvage = listener;
        return this;
    }

    /** @return the bytes of all sources together */
    public long totalSize() {
        return sourceStarts[sources.size()];
    }

    /** Copies everything; on failure the first error is thrown and the other workers stop. */
    public void copy() throws IOException {
        progress.progress(0, totalSize());
        if (salvage != null) {
            survey();
        }
        // A salvaging copy goes chunk by chunk, so that what it reports comes in the source's order.
        int threads = salvage != null ? 1 : workers;
        try {
            Workers.run((int) Math.min(threads, Math.max(1, totalChunks)), "convert-worker", this::work);
        } catch (IOException e) {
            // Workers stopped by the failure report that; the failure itself is the news.
            IOException first = firstFailure.get();
            throw first != null ? first : e;
        }
    }

    /**
     * Asks the block status of every chunk once before the copy, as qemu-img does (to count the data
     * for its progress): a salvaging copy reports the sectors whose status fails here, and again
     * when it copies them.
     */
    private void survey() throws IOException {
        for (int source = 0; source < sources.size(); source++) {
            BlockImage image = sources.get(source);
            long size = image.size();
            for (long offset = 0; offset < size; offset += CHUNK) {
                blockStatus(image, offset, Math.min(CHUNK, size - offset), sourceStarts[source]);
            }
        }
    }

    private void work() throws IOException {
        ByteBuffer buffer = IoBuffers.allocate(CHUNK);
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

        // Which bytes of the chunk hold data: a zero run the source reports is never read. Runs the
        // copier does not want are neither read nor written.
        List<long[]> runs = new ArrayList<>();
        List<long[]> taken = new ArrayList<>();
        long base = targetOffset - sourceOffset;
        List<Extent> status = blockStatus(image, sourceOffset, length, base);
        if (targetIsZero && salvage == null && status.size() == 1 && status.get(0).zero()) {
            // Nothing to write, and perhaps a long stretch of zeros ahead to pass in one step.
            done(chunk, skipZerosAfter(chunk, source, image, sourceOffset + length));
            progress.progress(copied.addAndGet(length), totalSize());
            return;
        }
        for (Extent e : status) {
            int from = (int) (e.start() - sourceOffset);
            if (!wanted.test(e)) {
                continue;
            }
            addRun(taken, from, from + (int) e.length());
            if (e.zero()) {
                continue;
            }
            read(image, e.start(), buffer, from, from + (int) e.length(), base);
            splitData(buffer, from, from + (int) e.length(), runs);
        }

        List<Request> requests = requests(runs, taken);
        awaitTurn(chunk, requests.isEmpty());
        int next = 0;
        try {
            if (!requests.isEmpty()) {
                // Only the first write into a chunk needs the turn: a format that allocates space on
                // the first write (VHD) then lays its blocks out in disk order, while the rest of the
                // chunk is written in parallel with the other workers' chunks.
                Request head = requests.get(0);
                int headEnd = outOfOrder || head.zero() ? head.to() : Math.min(head.to(), head.from() + FIRST_WRITE);
                issue(buffer, targetOffset, new Request(head.from(), headEnd, head.zero()));
                if (headEnd < head.to()) {
                    requests.set(0, new Request(headEnd, head.to(), false));
                } else {
                    next = 1;
                }
            }
        } finally {
            done(chunk, chunk + 1);
        }
        for (Request request : requests.subList(next, requests.size())) {
            issue(buffer, targetOffset, request);
        }
        progress.progress(copied.addAndGet(length), totalSize());
    }

    /**
     * The block status of {@code [offset, offset+length)}; when salvaging, a failing range is split
     * until the sectors that fail are found, and those count as data ({@code base} turns a source
     * offset into the offset reported).
     */
    private List<Extent> blockStatus(BlockImage image, long offset, long length, long base) throws IOException {
        try {
            return image.blockStatus(offset, length);
        } catch (IOException e) {
            Salvage listener = salvage;
            if (listener == null || e instanceof InterruptedIOException) {
                throw e;
            }
            if (length <= SECTOR) {
                listener.blockStatusFailed(base + offset, e);
                return List.of(new Extent(offset, length, true, false, true, OptionalLong.empty()));
            }
            long half = Math.max(SECTOR, (length / 2) / SECTOR * SECTOR);
            List<Extent> both = new ArrayList<>(blockStatus(image, offset, half, base));
            both.addAll(blockStatus(image, offset + half, length - half, base));
            return both;
        }
    }

    /**
     * Reads the source at {@code offset} into {@code buffer[from, to)}; when salvaging, a failed read
     * is read again sector by sector and each sector that fails is zeros.
     */
    private void read(BlockImage image, long offset, ByteBuffer buffer, int from, int to, long base) throws IOException {
        try {
            image.read(offset, buffer.clear().position(from).limit(to).slice());
            return;
        } catch (IOException e) {
            if (salvage == null || e instanceof InterruptedIOException) {
                throw e;
            }
        }
        for (int at = from; at < to; at += SECTOR) {
            int end = Math.min(to, at + SECTOR);
            long sector = offset + (at - from);
            try {
                image.read(sector, buffer.clear().position(at).limit(end).slice());
            } catch (IOException e) {
                if (e instanceof InterruptedIOException) {
                    throw e;
                }
                Zeroes.fill(buffer, at, end);
                salvage.readFailed(base + sector, e);
            }
        }
    }

    /** A write of {@code buffer[from, to)}, or of zeros over that range. */
    private record Request(int from, int to, boolean zero) {
    }

    /**
     * The requests that make the {@code taken} runs of the target's chunk hold the data {@code runs}
     * (which lie inside them) and zeros elsewhere, in order.
     */
    private List<Request> requests(List<long[]> runs, List<long[]> taken) {
        List<Request> requests = new ArrayList<>(runs.size() * 2 + 1);
        int next = 0;
        for (long[] span : taken) {
            int at = (int) span[0];
            for (; next < runs.size() && runs.get(next)[0] < span[1]; next++) {
                int from = (int) runs.get(next)[0];
                if (!targetIsZero && from > at) {
                    requests.add(new Request(at, from, true));
                }
                requests.add(new Request(from, (int) runs.get(next)[1], false));
                at = (int) runs.get(next)[1];
            }
            if (!targetIsZero && at < span[1]) {
                requests.add(new Request(at, (int) span[1], true));
            }
        }
        return requests;
    }

    private void issue(ByteBuffer buffer, long targetOffset, Request request) throws IOException {
        if (request.zero()) {
            target.writeZeroes(targetOffset + request.from(), request.to() - request.from(), true);
        } else {
            target.write(targetOffset + request.from(),
                    buffer.clear().position(request.from()).limit(request.to()).slice());
        }
    }

    /** Adds to {@code runs} the {@code [from, to)} runs of non-zero granules of {@code buffer[from, to)}. */
    private void splitData(ByteBuffer buffer, int from, int to, List<long[]> runs) {
        if (sparseSize == 0) {
            addRun(runs, from, to);
            return;
        }
        int at = from;
        while (at < to) {
            int nonZero = Zeroes.firstNonZero(buffer, at, to);
            if (nonZero < 0) {
                return;
            }
            int granuleStart = Math.max(at, nonZero - nonZero % sparseSize);
            int end = granuleStart;
            // Extend over granules until one is all zero.
            while (end < to) {
                int granuleEnd = Math.min(to, end - end % sparseSize + sparseSize);
                if (end > granuleStart && Zeroes.isZeroGranule(buffer, end, granuleEnd - end)) {
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

    private int sourceOf(long chunk) {
        int i = 0;
        while (chunkStarts[i + 1] <= chunk) {
            i++;
        }
        return i;
    }

    /** Waits until every earlier chunk has had its first write, unless writes may go out of order or there is nothing to write. */
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

    /**
     * Takes the chunks after {@code chunk} that lie wholly in a stretch the source reports as zeros
     * from {@code from} on (up to {@link #SKIP_LOOKAHEAD} bytes), when no worker has taken them yet,
     * and counts them copied: with a target that reads as zeros there is nothing to write for them.
     *
     * @return the chunk after the last one taken care of: {@code chunk + 1} when none was taken
     */
    private long skipZerosAfter(long chunk, int source, BlockImage image, long from) throws IOException {
        long end = chunk + 1;
        long sourceSize = image.size();
        if (from >= sourceSize) {
            return end;
        }
        Extent ahead = image.blockStatus(from, Math.min(SKIP_LOOKAHEAD, sourceSize - from)).get(0);
        if (!ahead.zero() || ahead.start() != from) {
            return end;
        }
        // The chunks wholly inside the zeros; the source's last chunk ends where the source does.
        long zerosEnd = ahead.end();
        long last = zerosEnd >= sourceSize ? chunkStarts[source + 1] : chunkStarts[source] + zerosEnd / CHUNK;
        long skipped;
        synchronized (turn) {
            long first = Math.max(nextToTake, end);
            if (failed || first >= last) {
                return end;
            }
            if (first > end) {
                // Chunks in between are another worker's: mark this one alone, the skipped run apart.
                skipped = last - first;
                nextToTake = last;
                doneAhead.put(first, last);
                advanceTurn();
            } else {
                skipped = last - end;
                nextToTake = last;
                end = last;
            }
        }
        long bytes = Math.min((last - chunkStarts[source]) * CHUNK, sourceSize)
                - (last - skipped - chunkStarts[source]) * CHUNK;
        progress.progress(copied.addAndGet(bytes), totalSize());
        return end;
    }

    /** Marks chunks {@code [from, to)} done and moves the write turn past every chunk done so far. */
    private void done(long from, long to) {
        synchronized (turn) {
            doneAhead.put(from, to);
            advanceTurn();
        }
    }

    private void advanceTurn() {
        Long runEnd;
        while ((runEnd = doneAhead.remove(nextToWrite)) != null) {
            nextToWrite = runEnd;
        }
        turn.notifyAll();
    }
}
