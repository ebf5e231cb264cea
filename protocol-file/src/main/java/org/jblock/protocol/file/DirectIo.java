package org.jblock.protocol.file;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import com.sun.nio.file.ExtendedOpenOption;

import org.jblock.api.IoBuffers;
import org.jblock.api.UnsupportedFeatureException;

/**
 * The data path of a local file opened with {@code cache.direct=on}: a descriptor of the file opened
 * with {@code O_DIRECT} ({@link ExtendedOpenOption#DIRECT}), so reads and writes bypass the host's
 * page cache. The kernel (and the JDK, which checks first) takes such I/O only in whole aligned
 * blocks: the file position, the length and the memory address multiples of the file system's
 * block size ({@link FileStore#getBlockSize()}, 4 KiB on ext4 and tmpfs). Formats ask for anything
 * (512-byte VHD sectors, 4-byte table entries), so this does what QEMU's block layer does for such a
 * file:
 * <ul>
 *   <li>a read reads the aligned blocks around it into an aligned bounce buffer and copies out the
 *       part asked for; a read already aligned (a direct buffer at an aligned address) goes straight;</li>
 *   <li>a write that is not aligned reads its first and last block, puts its bytes in between, and
 *       writes whole blocks (read-modify-write);</li>
 *   <li>writes and the zeroing or punching of ranges hold the aligned blocks they touch: one that
 *       overlaps blocks another holds waits for it, so that a read-modify-write never writes back
 *       bytes older than another request's;</li>
 *   <li>a write whose last block reaches past the end of the file makes it longer than the write
 *       asks (to the block's end) and cuts it back to the write's end: it runs alone, so no other
 *       request's growth is cut back, and no read sees the longer file meanwhile.</li>
 * </ul>
 * The file's size, truncation, locks, holes and flushes stay with the file's other descriptors
 * ({@link LocalBlockFile}); this one carries the data.
 */
final class DirectIo implements Closeable {
    /** The largest bounce buffer: requests larger than this go through it in pieces. */
    private static final int BOUNCE = 1 << 20;
    /** Bounce buffers kept for the next request. */
    private static final int KEPT = 4;

    private final FileChannel channel;
    private final int align;
    private final int bounceSize;
    /** Shared by every request; held alone by a write that cuts the file back after it. */
    private final ReentrantReadWriteLock size = new ReentrantReadWriteLock();
    private final Extents held = new Extents();
    private final ConcurrentLinkedQueue<ByteBuffer> bounces = new ConcurrentLinkedQueue<>();

    private DirectIo(FileChannel channel, int align) {
        this.channel = channel;
        this.align = align;
        this.bounceSize = Math.max(align, BOUNCE / align * align);
    }

    /**
     * Opens {@code path} again with {@code O_DIRECT}.
     *
     * @throws UnsupportedFeatureException when the file system takes no {@code O_DIRECT} (the open
     *         fails with {@code EINVAL}), in QEMU's words: {@code Could not open 'NAME': filesystem
     *         does not support O_DIRECT}
     */
    static DirectIo open(Path path, boolean readOnly, String name) throws IOException {
        List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.READ, ExtendedOpenOption.DIRECT));
        if (!readOnly) {
            options.add(StandardOpenOption.WRITE);
        }
        int align = alignment(path);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, options.toArray(OpenOption[]::new));
        } catch (FileSystemException e) {
            // The file opened without O_DIRECT (the caller did that first): EINVAL is O_DIRECT's.
            if (e.getClass() == FileSystemException.class && "Invalid argument".equals(e.getReason())) {
                UnsupportedFeatureException refused = new UnsupportedFeatureException("Could not open '" + name
                        + "': filesystem does not support O_DIRECT");
                refused.initCause(e);
                throw refused;
            }
            throw e;
        }
        return new DirectIo(channel, align);
    }

    /**
     * @return the alignment the JDK checks on the channel: the file system's block size, as
     *         {@code fstatvfs} gives it for the channel's own checks
     */
    private static int alignment(Path path) throws IOException {
        long block = Files.getFileStore(path).getBlockSize();
        if (block < 512 || block > (1 << 20) || Long.bitCount(block) != 1) {
            throw new UnsupportedFeatureException("'" + path + "': unusable block size " + block + " for O_DIRECT");
        }
        return (int) block;
    }

    /** @return the alignment every request to the kernel keeps */
    int alignment() {
        return align;
    }

    /** @return the descriptor, to close with the file's others */
    Closeable channel() {
        return channel;
    }

    private long down(long at) {
        return at - Math.floorMod(at, align);
    }

    private long up(long at) {
        return down(at + align - 1);
    }

    /** @return whether {@code buffer}'s remaining bytes at {@code position} go to the kernel as they are */
    private boolean aligned(ByteBuffer buffer, long position) {
        return buffer.isDirect() && position % align == 0 && buffer.remaining() % align == 0
                && buffer.alignmentOffset(buffer.position(), align) == 0;
    }

    /** {@link LocalBlockFile#read}: the bytes at {@code position} until {@code dst} is full or the file ends. */
    int read(ByteBuffer dst, long position) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        Lock shared = size.readLock();
        shared.lock();
        try {
            if (aligned(dst, position)) {
                int got = readBlocks(dst, position);
                return got == 0 ? -1 : got;
            }
            ByteBuffer bounce = bounce();
            try {
                int total = 0;
                while (dst.hasRemaining()) {
                    long at = position + total;
                    long from = down(at);
                    int length = (int) Math.min(bounceSize, up(at + dst.remaining()) - from);
                    bounce.clear().limit(length);
                    int got = readBlocks(bounce, from);
                    int skip = (int) (at - from);
                    if (got <= skip) {
                        break;
                    }
                    int n = Math.min(got - skip, dst.remaining());
                    dst.put(bounce.duplicate().position(skip).limit(skip + n));
                    total += n;
                    if (got < length) {
                        break;
                    }
                }
                return total == 0 ? -1 : total;
            } finally {
                release(bounce);
            }
        } finally {
            shared.unlock();
        }
    }

    /**
     * Reads aligned blocks at the aligned {@code position} into {@code dst} (aligned) until it is
     * full or the file ends.
     *
     * @return the bytes read (0 at the end)
     */
    private int readBlocks(ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
            if (total % align != 0) {
                // A short read on a regular file or device ends at its end.
                break;
            }
        }
        return total;
    }

    /** {@link LocalBlockFile#write}: all of {@code src} at {@code position}. */
    void write(ByteBuffer src, long position) throws IOException {
        if (!src.hasRemaining()) {
            return;
        }
        long end = position + src.remaining();
        long from = down(position);
        long to = up(end);
        Lock lock = size.readLock();
        lock.lock();
        try {
            long before = channel.size();
            boolean cutBack = to > before && to != end;
            if (cutBack) {
                lock.unlock();
                lock = size.writeLock();
                lock.lock();
                before = channel.size();
            }
            held.hold(from, to);
            try {
                writeBlocks(src, position, end);
            } finally {
                held.release(from, to);
            }
            if (cutBack && channel.size() > Math.max(before, end)) {
                channel.truncate(Math.max(before, end));
            }
        } finally {
            lock.unlock();
        }
    }

    private void writeBlocks(ByteBuffer src, long position, long end) throws IOException {
        if (aligned(src, position)) {
            writeFully(src, position);
            return;
        }
        ByteBuffer bounce = bounce();
        try {
            long at = position;
            while (at < end) {
                long from = down(at);
                long to = Math.min(from + bounceSize, up(end));
                int length = (int) (to - from);
                bounce.clear().limit(length);
                int head = (int) (at - from);
                long stop = Math.min(end, to);
                if (head > 0) {
                    readBlock(bounce, 0, from);
                }
                if (stop < to && (to - align > from || head == 0)) {
                    readBlock(bounce, length - align, to - align);
                }
                int n = (int) (stop - at);
                bounce.put(head, src, src.position(), n);
                src.position(src.position() + n);
                bounce.clear().limit(length);
                writeFully(bounce, from);
                at = stop;
            }
        } finally {
            release(bounce);
        }
    }

    /** Reads the block at {@code position} into {@code bounce} at {@code offset}; zeros past the end. */
    private void readBlock(ByteBuffer bounce, int offset, long position) throws IOException {
        ByteBuffer block = bounce.duplicate().position(offset).limit(offset + align).slice();
        int got = readBlocks(block, position);
        for (int i = got; i < align; i++) {
            block.put(i, (byte) 0);
        }
    }

    private void writeFully(ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
    }

    /**
     * Runs {@code action} on the bytes {@code [offset, offset + length)} while no write of this file
     * touches their blocks: the zeroing and punching of ranges, which the file does by other means
     * and which a read-modify-write of a neighbouring block must not undo.
     */
    <T> T holding(long offset, long length, IoAction<T> action) throws IOException {
        Lock shared = size.readLock();
        shared.lock();
        try {
            long from = down(offset);
            long to = up(offset + length);
            held.hold(from, to);
            try {
                return action.run();
            } finally {
                held.release(from, to);
            }
        } finally {
            shared.unlock();
        }
    }

    /** Runs {@code action} (a size change) while no request of this file runs. */
    <T> T alone(IoAction<T> action) throws IOException {
        Lock exclusive = size.writeLock();
        exclusive.lock();
        try {
            return action.run();
        } finally {
            exclusive.unlock();
        }
    }

    /** @return the file's size, not while a write makes it longer than it will be */
    long size() throws IOException {
        Lock shared = size.readLock();
        shared.lock();
        try {
            return channel.size();
        } finally {
            shared.unlock();
        }
    }

    /** An I/O action run under one of this file's locks. */
    @FunctionalInterface
    interface IoAction<T> {
        T run() throws IOException;
    }

    private ByteBuffer bounce() {
        ByteBuffer kept = bounces.poll();
        return kept != null ? kept : IoBuffers.allocate(bounceSize, align);
    }

    private void release(ByteBuffer bounce) {
        if (bounces.size() < KEPT) {
            bounces.offer(bounce);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        bounces.clear();
    }

    /** The aligned extents held by requests in flight; an overlapping one waits. */
    private static final class Extents {
        private final List<long[]> held = new ArrayList<>();

        synchronized void hold(long from, long to) throws InterruptedIOException {
            while (overlaps(from, to)) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for an overlapping write");
                }
            }
            held.add(new long[] {from, to});
        }

        synchronized void release(long from, long to) {
            for (int i = 0; i < held.size(); i++) {
                if (held.get(i)[0] == from && held.get(i)[1] == to) {
                    held.remove(i);
                    break;
                }
            }
            notifyAll();
        }

        private boolean overlaps(long from, long to) {
            for (long[] extent : held) {
                if (from < extent[1] && extent[0] < to) {
                    return true;
                }
            }
            return false;
        }
    }
}
