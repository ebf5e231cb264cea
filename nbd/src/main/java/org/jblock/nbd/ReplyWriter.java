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
 * worker never waits for a slow client. Replies queued together go out in one gathering write, up to
 * each run of bytes the storage sends itself.
 * Each reply returns its share of the connection's budget once it is sent (or dropped).
 */
final class ReplyWriter implements Runnable {
    private static final System.Logger LOG = System.getLogger(ReplyWriter.class.getName());

    private record Queued(Reply reply, int cost, Runnable afterSent) {
    }

    private final SocketChannel channel;
    private final Semaphore budget;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
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
    void send(int cost, Runnable afterSent, Reply reply) {
        synchronized (this) {
            if (!failed) {
                queue.add(new Queued(reply, cost, afterSent));
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
        List<Queued> batch = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        List<Reply.Stored> after = new ArrayList<>();
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
            for (Queued queued : batch) {
                Reply reply = queued.reply();
                for (int i = 0; i < reply.buffers().length; i++) {
                    buffers.add(reply.buffers()[i]);
                    after.add(reply.after(i));
                }
                cost += queued.cost();
            }
            try {
                ByteBuffer[] all = buffers.toArray(new ByteBuffer[0]);
                int first = 0;
                while (first < all.length) {
                    // Everything up to the next storage transfer goes out in one gathering write.
                    int last = first;
                    while (last < all.length - 1 && after.get(last) == null) {
                        last++;
                    }
                    writeFully(all, first, last + 1);
                    Reply.Stored stored = after.get(last);
                    if (stored != null) {
                        stored.sendTo(channel);
                    }
                    first = last + 1;
                }
            } catch (IOException e) {
                // The client is gone, or the storage failed in the middle of a reply: either way the
                // stream cannot go on.
                LOG.log(System.Logger.Level.DEBUG, "replies not sent: " + e);
                fail();
            } finally {
                for (Queued queued : batch) {
                    queued.afterSent().run();
                }
                budget.release(cost);
                batch.clear();
                buffers.clear();
                after.clear();
            }
        }
    }

    private void writeFully(ByteBuffer[] all, int from, int to) throws IOException {
        long left = 0;
        for (int i = from; i < to; i++) {
            left += all[i].remaining();
        }
        int first = from;
        while (left > 0) {
            left -= channel.write(all, first, to - first);
            while (first < to && !all[first].hasRemaining()) {
                first++;
            }
        }
    }

    /** The client cannot be written to: drop what is queued and whatever comes later. */
    private void fail() {
        int cost = 0;
        synchronized (this) {
            failed = true;
            for (Queued queued : queue) {
                cost += queued.cost();
                queued.afterSent().run();
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
