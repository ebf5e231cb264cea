package org.jblock.protocol.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jblock.api.BlockException;
import org.jblock.api.ImageClosedException;

/**
 * A bounded cache of the fixed-size blocks of a read-only object whose every read costs a round
 * trip, filled by ranged fetches that run on a few threads of its own, ahead of the readers when
 * they read in order.
 *
 * <p>A read takes the blocks it covers from the cache; the blocks that are missing are promised in
 * runs of consecutive blocks, one request per run, and the last run goes on past the read until it
 * is {@code readahead} long, the next block is cached, or the object ends. When the read misses
 * or reaches blocks that were read ahead, and the block before it is cached or coming (the reader
 * goes on where an earlier read stopped), the {@code window} after the read is promised too, in requests of {@code aheadRequest} bytes that the
 * fetch threads send while the reader copies what it has. The fetch threads take a reader's runs
 * before readahead. A block being fetched is in the cache as a promise, so readers of the same block
 * wait for the one request instead of sending their own. The least recently used blocks leave when
 * the cache is full.
 *
 * <p>Failures are never lost and never turn into data: a failed fetch fails the promises of its
 * blocks, so every reader waiting for them gets its error. A run a reader asked for leaves nothing
 * behind (the next read asks again); a failed readahead stays until a read needs its blocks, which
 * then fails with the readahead's error (and the read after that asks again).
 *
 * <p>Safe for concurrent use. A reader waits only for fetches that run, and every fetch ends (the
 * source has a timeout), so no read hangs. {@link #close} stops the threads; reads fail afterwards.
 */
final class BlockCache {

    /** Where the blocks come from. */
    @FunctionalInterface
    interface Source {
        /** Fills {@code parts}, the first with the bytes at {@code offset}, the next with those after it. */
        void fetch(long offset, List<byte[]> parts) throws IOException;
    }

    private static final AtomicInteger CACHES = new AtomicInteger();

    private final String name;
    private final Source source;
    private final long size;
    private final int blockSize;
    private final long blockCount;
    private final int readaheadBlocks;
    private final int maxFetchBlocks;
    private final int windowBlocks;
    private final int aheadBlocks;
    private final ThreadPoolExecutor fetchers;
    private final AtomicLong order = new AtomicLong();
    /** Block index to its bytes (or the promise of them); access order, the eldest leaves first. */
    private final LinkedHashMap<Long, CompletableFuture<byte[]>> blocks;
    private volatile boolean closed;

    /**
     * @param name         the object's name, for errors
     * @param size         the object's size
     * @param blockSize    the unit of caching
     * @param capacity     how many bytes of blocks the cache keeps at most
     * @param readahead    the least length of the last fetch of a read (0: none, and no window either)
     * @param window       how far past a read in order the fetch threads read ahead
     * @param aheadRequest the length of one request of the window
     * @param maxFetch     the most one request asks for (a longer read costs several)
     * @param threads      how many requests run at once
     */
    BlockCache(String name, Source source, long size, int blockSize, long capacity, long readahead, long window,
               long aheadRequest, long maxFetch, int threads) {
        this.name = name;
        this.source = source;
        this.size = size;
        this.blockSize = blockSize;
        this.blockCount = (size + blockSize - 1) / blockSize;
        this.readaheadBlocks = (int) Math.max(1, (readahead + blockSize - 1) / blockSize);
        this.maxFetchBlocks = (int) Math.max(readaheadBlocks, maxFetch / blockSize);
        this.windowBlocks = readahead == 0 ? 0 : (int) (window / blockSize);
        this.aheadBlocks = (int) Math.max(readaheadBlocks, Math.min(maxFetchBlocks, aheadRequest / blockSize));
        int capacityBlocks = (int) Math.max(1, capacity / blockSize);
        this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, CompletableFuture<byte[]>> eldest) {
                return size() > capacityBlocks;
            }
        };
        int id = CACHES.incrementAndGet();
        AtomicInteger threadNumber = new AtomicInteger();
        this.fetchers = new ThreadPoolExecutor(threads, threads, 5, TimeUnit.SECONDS, new PriorityBlockingQueue<>(),
                task -> {
                    Thread thread = new Thread(task, "jblock-http-" + id + "-fetch-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.fetchers.allowCoreThreadTimeOut(true);
    }

    /** Keeps the whole blocks that {@code data}, the object's bytes at {@code offset}, covers. */
    void put(long offset, byte[] data) {
        synchronized (blocks) {
            long first = (offset + blockSize - 1) / blockSize;
            for (long b = first; b < blockCount; b++) {
                long start = b * blockSize;
                int length = blockLength(b);
                if (start + length > offset + data.length) {
                    break;
                }
                int from = (int) (start - offset);
                blocks.put(b, CompletableFuture.completedFuture(Arrays.copyOfRange(data, from, from + length)));
            }
        }
    }

    /**
     * Reads into {@code dst} from {@code position} until it is full or the object ends.
     *
     * @return the number of bytes read, or -1 when {@code position} is at or past the end
     */
    int read(ByteBuffer dst, long position) throws IOException {
        if (closed) {
            throw new ImageClosedException(name);
        }
        if (position >= size) {
            return dst.hasRemaining() ? -1 : 0;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        if (length == 0) {
            return 0;
        }
        long first = position / blockSize;
        long last = (position + length - 1) / blockSize;
        List<CompletableFuture<byte[]>> wanted = new ArrayList<>((int) (last - first + 1));
        List<Run> runs = plan(first, last, wanted);
        for (Run run : runs) {
            try {
                fetchers.execute(run);
            } catch (RejectedExecutionException e) {
                run.fail(new ImageClosedException(name));
            }
        }
        long at = position;
        int left = length;
        for (int i = 0; i < wanted.size(); i++) {
            byte[] block;
            try {
                block = await(wanted.get(i));
            } catch (IOException e) {
                forgetFailed(first, wanted);
                throw e;
            }
            int from = (int) (at - (first + i) * blockSize);
            int n = Math.min(left, block.length - from);
            dst.put(block, from, n);
            at += n;
            left -= n;
        }
        return length;
    }

    /**
     * Takes the blocks that are there and promises the ones that are not, as this reader's runs,
     * followed by the window's runs when the read goes on where an earlier one stopped.
     */
    private List<Run> plan(long first, long last, List<CompletableFuture<byte[]>> wanted) {
        List<Run> runs = new ArrayList<>();
        synchronized (blocks) {
            Run run = null;
            boolean missOrAhead = false;
            for (long b = first; b <= last; b++) {
                CompletableFuture<byte[]> block = blocks.get(b);
                missOrAhead |= block == null || block instanceof AheadPromise;
                if (block != null && block.isCompletedExceptionally()) {
                    // A readahead that failed: this read gets its error, the next one asks again.
                    blocks.remove(b);
                    run = null;
                } else if (block == null) {
                    if (run == null || run.end() != b || run.promised.size() >= maxFetchBlocks) {
                        run = new Run(b, false);
                        runs.add(run);
                    }
                    block = run.promise(b);
                } else {
                    run = null;
                }
                wanted.add(block);
            }
            if (run != null && run.end() == last + 1) {
                for (long b = last + 1; b < blockCount && run.promised.size() < readaheadBlocks
                        && !blocks.containsKey(b); b++) {
                    run.promise(b);
                }
            }
            if (windowBlocks > 0 && missOrAhead && (first == 0 || blocks.containsKey(first - 1))) {
                Run ahead = null;
                for (long b = last + 1; b < Math.min(blockCount, last + 1 + windowBlocks); b++) {
                    if (blocks.containsKey(b)) {
                        ahead = null;
                        continue;
                    }
                    if (ahead == null || ahead.promised.size() >= aheadBlocks) {
                        ahead = new Run(b, true);
                        runs.add(ahead);
                    }
                    ahead.promise(b);
                }
            }
        }
        return runs;
    }

    /** Drops the failed ones of {@code wanted} (blocks from {@code first} on): their error was told. */
    private void forgetFailed(long first, List<CompletableFuture<byte[]>> wanted) {
        synchronized (blocks) {
            for (int i = 0; i < wanted.size(); i++) {
                if (wanted.get(i).isCompletedExceptionally()) {
                    blocks.remove(first + i, wanted.get(i));
                }
            }
        }
    }

    private byte[] await(CompletableFuture<byte[]> block) throws IOException {
        try {
            return block.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException(name + ": interrupted");
            interrupted.initCause(e);
            throw interrupted;
        } catch (ExecutionException e) {
            // The fetch failed in a fetch thread: the same reason, told in this reader's thread.
            Throwable cause = e.getCause();
            if (cause instanceof ImageClosedException) {
                throw new ImageClosedException(name);
            }
            throw new BlockException(cause.getMessage(), cause);
        }
    }

    private int blockLength(long block) {
        return (int) Math.min(blockSize, size - block * blockSize);
    }

    /** Stops taking fetches; those waiting to run fail as closed (see {@link #close}). */
    void shutdown() {
        closed = true;
        for (Runnable queued : fetchers.shutdownNow()) {
            ((Run) queued).fail(new ImageClosedException(name));
        }
    }

    /**
     * Waits for the fetch threads to end (their connections must have been closed first, so that
     * they end at once), then fails what is still promised and forgets every block.
     *
     * @return whether every fetch thread ended within {@code millis}
     */
    boolean close(long millis) {
        shutdown();
        boolean ended;
        try {
            ended = fetchers.awaitTermination(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ended = fetchers.isTerminated();
        }
        List<CompletableFuture<byte[]>> left;
        synchronized (blocks) {
            left = new ArrayList<>(blocks.values());
            blocks.clear();
        }
        ImageClosedException closedError = new ImageClosedException(name);
        left.forEach(block -> block.completeExceptionally(closedError));
        return ended;
    }

    /** @return how many fetch threads are alive (for tests) */
    int liveThreads() {
        return fetchers.getPoolSize();
    }

    /** A block read ahead: a read that reaches it moves the window on. */
    private static final class AheadPromise extends CompletableFuture<byte[]> {
    }

    /** Consecutive missing blocks promised to be fetched with one request. */
    private final class Run implements Runnable, Comparable<Run> {
        final long start;
        /** Whether this run reads ahead (no reader asked for it yet). */
        final boolean ahead;
        final long sequence = order.incrementAndGet();
        final List<CompletableFuture<byte[]>> promised = new ArrayList<>();

        Run(long start, boolean ahead) {
            this.start = start;
            this.ahead = ahead;
        }

        long end() {
            return start + promised.size();
        }

        /** Called with the cache locked. */
        CompletableFuture<byte[]> promise(long block) {
            CompletableFuture<byte[]> promise = ahead ? new AheadPromise() : new CompletableFuture<>();
            blocks.put(block, promise);
            promised.add(promise);
            return promise;
        }

        /** A reader's runs first, then readahead, each in the order they were planned. */
        @Override
        public int compareTo(Run other) {
            if (ahead != other.ahead) {
                return ahead ? 1 : -1;
            }
            return Long.compare(sequence, other.sequence);
        }

        /** Fetches the run in a fetch thread; a failure goes to the promises, never out of the thread. */
        @Override
        public void run() {
            try {
                if (closed) {
                    throw new ImageClosedException(name);
                }
                List<byte[]> parts = new ArrayList<>(promised.size());
                for (int i = 0; i < promised.size(); i++) {
                    parts.add(new byte[blockLength(start + i)]);
                }
                source.fetch(start * blockSize, parts);
                for (int i = 0; i < promised.size(); i++) {
                    promised.get(i).complete(parts.get(i));
                }
            } catch (Throwable e) {
                fail(closed ? new ImageClosedException(name) : e);
            }
        }

        void fail(Throwable failure) {
            if (!ahead) {
                synchronized (blocks) {
                    for (int i = 0; i < promised.size(); i++) {
                        blocks.remove(start + i, promised.get(i));
                    }
                }
            }
            for (CompletableFuture<byte[]> promise : promised) {
                promise.completeExceptionally(failure);
            }
        }
    }
}
