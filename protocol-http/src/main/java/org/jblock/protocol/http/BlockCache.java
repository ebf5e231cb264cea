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

import org.jblock.api.BlockException;

/**
 * A bounded cache of the fixed-size blocks of a read-only object whose every read costs a round
 * trip, filled by ranged fetches with readahead.
 *
 * <p>A read takes the blocks it covers from the cache; the blocks that are missing are fetched in
 * runs of consecutive blocks, one request per run, and the last run goes on past the read until it
 * is {@code readahead} long, the next block is cached, or the object ends. A block being fetched is
 * in the cache as a promise, so readers of the same block wait for the one request instead of
 * sending their own. The least recently used blocks leave when the cache is full. A failed fetch
 * leaves nothing behind: the next read of its blocks asks again.
 *
 * <p>Safe for concurrent use. A reader waits only for fetches that are running, and every fetch
 * ends (the source has a timeout), so no read hangs.
 */
final class BlockCache {

    /** Where the blocks come from. */
    @FunctionalInterface
    interface Source {
        /** @return exactly {@code length} bytes at {@code offset} */
        byte[] fetch(long offset, int length) throws IOException;
    }

    private final Source source;
    private final long size;
    private final int blockSize;
    private final long blockCount;
    private final int readaheadBlocks;
    private final int maxFetchBlocks;
    /** Block index to its bytes (or the promise of them); access order, the eldest leaves first. */
    private final LinkedHashMap<Long, CompletableFuture<byte[]>> blocks;

    /**
     * @param size       the object's size
     * @param blockSize  the unit of caching
     * @param capacity   how many bytes of blocks the cache keeps at most
     * @param readahead  the least length of the last fetch of a read
     * @param maxFetch   the most one request asks for (a longer read costs several)
     */
    BlockCache(Source source, long size, int blockSize, long capacity, long readahead, long maxFetch) {
        this.source = source;
        this.size = size;
        this.blockSize = blockSize;
        this.blockCount = (size + blockSize - 1) / blockSize;
        this.readaheadBlocks = (int) Math.max(1, (readahead + blockSize - 1) / blockSize);
        this.maxFetchBlocks = (int) Math.max(readaheadBlocks, maxFetch / blockSize);
        int capacityBlocks = (int) Math.max(1, capacity / blockSize);
        this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, CompletableFuture<byte[]>> eldest) {
                return size() > capacityBlocks;
            }
        };
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

    /** Forgets every block (fetches that run go on, for the readers that wait for them). */
    void clear() {
        synchronized (blocks) {
            blocks.clear();
        }
    }

    /**
     * Reads into {@code dst} from {@code position} until it is full or the object ends.
     *
     * @return the number of bytes read, or -1 when {@code position} is at or past the end
     */
    int read(ByteBuffer dst, long position) throws IOException {
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
        List<Run> mine = plan(first, last, wanted);
        fetch(mine);
        long at = position;
        int left = length;
        for (int i = 0; i < wanted.size(); i++) {
            byte[] block = await(wanted.get(i));
            int from = (int) (at - (first + i) * blockSize);
            int n = Math.min(left, block.length - from);
            dst.put(block, from, n);
            at += n;
            left -= n;
        }
        return length;
    }

    /** Takes the blocks that are there and promises, as this reader's runs, the ones that are not. */
    private List<Run> plan(long first, long last, List<CompletableFuture<byte[]>> wanted) {
        List<Run> mine = new ArrayList<>();
        synchronized (blocks) {
            Run run = null;
            for (long b = first; b <= last; b++) {
                CompletableFuture<byte[]> block = blocks.get(b);
                if (block == null) {
                    if (run == null || run.end() != b || run.promised.size() >= maxFetchBlocks) {
                        run = new Run(b);
                        mine.add(run);
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
        }
        return mine;
    }

    /** Keeps every promise of {@code runs}: with the bytes, or with the failure of the first that failed. */
    private void fetch(List<Run> runs) throws IOException {
        Throwable failure = null;
        for (Run run : runs) {
            if (failure == null) {
                try {
                    run.fetch();
                    continue;
                } catch (IOException | RuntimeException | Error e) {
                    failure = e;
                }
            }
            run.fail(failure);
        }
        if (failure instanceof IOException) {
            throw (IOException) failure;
        } else if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        } else if (failure != null) {
            throw (Error) failure;
        }
    }

    private byte[] await(CompletableFuture<byte[]> block) throws IOException {
        try {
            return block.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while waiting for a read");
            interrupted.initCause(e);
            throw interrupted;
        } catch (ExecutionException e) {
            // Another reader's fetch failed: the same reason, told in this reader's thread.
            Throwable cause = e.getCause();
            throw new BlockException(cause.getMessage(), cause);
        }
    }

    private int blockLength(long block) {
        return (int) Math.min(blockSize, size - block * blockSize);
    }

    /** Consecutive missing blocks that one reader promised to fetch with one request. */
    private final class Run {
        final long start;
        final List<CompletableFuture<byte[]>> promised = new ArrayList<>();

        Run(long start) {
            this.start = start;
        }

        long end() {
            return start + promised.size();
        }

        /** Called with the cache locked. */
        CompletableFuture<byte[]> promise(long block) {
            CompletableFuture<byte[]> promise = new CompletableFuture<>();
            blocks.put(block, promise);
            promised.add(promise);
            return promise;
        }

        void fetch() throws IOException {
            long offset = start * blockSize;
            long endOffset = Math.min(size, end() * blockSize);
            byte[] data = source.fetch(offset, (int) (endOffset - offset));
            for (int i = 0; i < promised.size(); i++) {
                int from = i * blockSize;
                promised.get(i).complete(Arrays.copyOfRange(data, from, Math.min(data.length, from + blockSize)));
            }
        }

        void fail(Throwable failure) {
            synchronized (blocks) {
                for (int i = 0; i < promised.size(); i++) {
                    blocks.remove(start + i, promised.get(i));
                }
            }
            for (CompletableFuture<byte[]> promise : promised) {
                promise.completeExceptionally(failure);
            }
        }
    }
}
