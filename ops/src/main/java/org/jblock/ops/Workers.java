package org.jblock.ops;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jblock.api.BlockException;

/** Runs one loop on several threads at once (requests in flight) and waits for all of them. */
public final class Workers {
    /** The loop each thread runs; it stops by itself when the shared work is done. */
    public interface Loop {
        void run() throws IOException;
    }

    private Workers() {
    }

    /**
     * Runs {@code loop} on {@code threads} threads (on the calling one when {@code threads == 1}).
     *
     * @throws IOException the first failure of any thread, after every thread has stopped
     */
    public static void run(int threads, String name, Loop loop) throws IOException {
        if (threads <= 1) {
            loop.run();
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> running = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                running.add(pool.submit(() -> {
                    loop.run();
                    return null;
                }));
            }
            IOException first = null;
            for (Future<Void> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = asIOException(e.getCause());
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + " interrupted");
        } finally {
            pool.shutdownNow();
        }
    }

    private static IOException asIOException(Throwable cause) {
        if (cause instanceof IOException) {
            return (IOException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new BlockException("internal error: " + cause, cause);
    }
}
