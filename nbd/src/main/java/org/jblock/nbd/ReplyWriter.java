package org.jblock.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Sends a connection's replies in the order they are completed, on a thread of its own, so that a
 * worker never waits for a slow client. Replies queued together go out in one gathering write.
 * Each reply returns its share of the connection's budget once it is sent (or dropped).
 */
final class ReplyWriter implements Runnable {
    private record Reply(ByteBuffer[] buffers, int cost, Runnable afterSent) {
    }

    private final SocketChannel channel;
    private final Semaphore budget;
    private final ArrayDeque<Reply> queue = new ArrayDeque<>();
    private boolean finishing;
    private boolean failed;

    ReplyWriter(SocketChannel channel, Semaphore budget) {
        this.channel = channel;
        this.budget = budget;
    }

    /**
     * Queues a reply; {@code cost} is returned to the budget once it is sent (or dropped), and then
     * {@code afterSent} runs (to give back its buffers).
     */
    void send(int cost, Runnable afterSent, ByteBuffer... buffers) {
        synchronized (this) {
            if (!failed) {
                queue.add(new Reply(buffers, cost, afterSent));
                notifyAll();
                return;
            }
        }
        afterSent.run();
        budget.release(cost);
    }

    /** Ends the thread once every queued reply is sent. */
    synchronized void finish() {
        finishing = true;
        notifyAll();
    }

    @Override
    public void run() {
        List<Reply> batch = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        while (true) {
            synchronized (this) {
                while (queue.isEmpty() && !finishing) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                batch.addAll(queue);
                queue.clear();
            }
            int cost = 0;
            for (Reply reply : batch) {
                buffers.addAll(List.of(reply.buffers()));
                cost += reply.cost();
            }
            try {
                ByteBuffer[] all = buffers.toArray(new ByteBuffer[0]);
                long left = 0;
                for (ByteBuffer buffer : all) {
                    left += buffer.remaining();
                }
                int first = 0;
                while (left > 0) {
                    left -= channel.write(all, first, all.length - first);
                    while (first < all.length && !all[first].hasRemaining()) {
                        first++;
                    }
                }
            } catch (IOException e) {
                fail();
            } finally {
                for (Reply reply : batch) {
                    reply.afterSent().run();
                }
                budget.release(cost);
                batch.clear();
                buffers.clear();
            }
        }
    }

    /** The client cannot be written to: drop what is queued and whatever comes later. */
    private void fail() {
        int cost = 0;
        synchronized (this) {
            failed = true;
            for (Reply reply : queue) {
                cost += reply.cost();
                reply.afterSent().run();
            }
            queue.clear();
        }
        budget.release(cost);
        try {
            channel.close();
        } catch (IOException e) {
            // Already broken.
        }
    }
}
