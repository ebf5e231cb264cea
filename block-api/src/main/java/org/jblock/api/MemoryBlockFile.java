package org.jblock.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A growable, sparse {@link BlockFile} in memory: pages that were never written cost nothing, so a
 * 2 TiB image that holds a few blocks fits in a test. Safe for concurrent positional I/O.
 *
 * <p>The content outlives its handles: {@link #reopen(boolean)} gives a new handle on the same
 * bytes, so an image can be closed (which closes its handle) and opened again.
 */
public final class MemoryBlockFile implements BlockFile {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    /** The bytes, shared by every handle of one memory file. */
    private static final class Content {
        final ConcurrentHashMap<Long, byte[]> pages = new ConcurrentHashMap<>();
        final Object sizeLock = new Object();
        volatile long size;
    }

    private final String name;
    private final Content content;
    private final boolean readOnly;
    private volatile boolean closed;

    public MemoryBlockFile(String name) {
        this(name, new Content(), false);
    }

    private MemoryBlockFile(String name, Content content, boolean readOnly) {
        this.name = name;
        this.content = content;
        this.readOnly = readOnly;
    }

    public MemoryBlockFile() {
        this("memory");
    }

    /** A memory file holding a copy of {@code content}. */
    public static MemoryBlockFile of(String name, byte[] content) throws IOException {
        MemoryBlockFile file = new MemoryBlockFile(name);
        file.write(ByteBuffer.wrap(content), 0);
        return file;
    }

    /**
     * @return a new open handle on the same content, whether or not this one is closed
     * @param readOnly whether the new handle refuses writes
     */
    public MemoryBlockFile reopen(boolean readOnly) {
        return new MemoryBlockFile(name, content, readOnly);
    }

    /** @return a copy of the whole content (for tests and comparisons) */
    public byte[] toByteArray() throws IOException {
        long length = size();
        if (length > Integer.MAX_VALUE - 8) {
            throw new InvalidRequestException(name + ": too large for a byte array (" + length + " bytes)");
        }
        byte[] copy = new byte[(int) length];
        readFully(ByteBuffer.wrap(copy), 0);
        return copy;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        ensureOpen();
        checkPosition(position);
        long end = content.size;
        if (position >= end) {
            return dst.hasRemaining() ? -1 : 0;
        }
        int total = (int) Math.min(dst.remaining(), end - position);
        int done = 0;
        while (done < total) {
            long at = position + done;
            int inPage = (int) (at & (PAGE_SIZE - 1));
            int n = Math.min(total - done, PAGE_SIZE - inPage);
            byte[] page = content.pages.get(at >>> PAGE_SHIFT);
            if (page == null) {
                fillZeros(dst, n);
            } else {
                synchronized (page) {
                    dst.put(page, inPage, n);
                }
            }
            done += n;
        }
        return total;
    }

    private static void fillZeros(ByteBuffer dst, int n) {
        dst.put(ZERO_PAGE, 0, n);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        checkPosition(position);
        int total = src.remaining();
        if (position > Long.MAX_VALUE - total) {
            throw new InvalidRequestException(name + ": write beyond the largest file size");
        }
        int done = 0;
        while (done < total) {
            long at = position + done;
            int inPage = (int) (at & (PAGE_SIZE - 1));
            int n = Math.min(total - done, PAGE_SIZE - inPage);
            byte[] page = content.pages.computeIfAbsent(at >>> PAGE_SHIFT, k -> new byte[PAGE_SIZE]);
            synchronized (page) {
                src.get(page, inPage, n);
            }
            done += n;
        }
        synchronized (content.sizeLock) {
            if (position + total > content.size) {
                content.size = position + total;
            }
        }
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return content.size;
    }

    @Override
    public void truncate(long newSize) throws IOException {
        ensureOpen();
        if (readOnly) {
            throw new ReadOnlyImageException(name);
        }
        checkPosition(newSize);
        synchronized (content.sizeLock) {
            if (newSize < content.size) {
                long firstDropped = (newSize + PAGE_SIZE - 1) >>> PAGE_SHIFT;
                content.pages.keySet().removeIf(index -> index >= firstDropped);
                byte[] partial = content.pages.get(newSize >>> PAGE_SHIFT);
                if (partial != null) {
                    synchronized (partial) {
                        Arrays.fill(partial, (int) (newSize & (PAGE_SIZE - 1)), PAGE_SIZE, (byte) 0);
                    }
                }
            }
            content.size = newSize;
        }
    }

    /** Pages never written (or dropped by a truncate) are holes; every written page is data. */
    @Override
    public long seekData(long position) throws IOException {
        return seek(position, true);
    }

    @Override
    public long seekHole(long position) throws IOException {
        return seek(position, false);
    }

    /** @return the first offset from {@code position} on whose page is written ({@code data}) or not */
    private long seek(long position, boolean data) throws IOException {
        ensureOpen();
        long end = content.size;
        long from = Math.max(position, 0);
        if (from >= end) {
            return end;
        }
        long page = from >>> PAGE_SHIFT;
        if (content.pages.containsKey(page) == data) {
            return from;
        }
        long found = data ? firstWrittenPageAfter(page) : firstUnwrittenPageAfter(page);
        return found > (end >>> PAGE_SHIFT) ? end : Math.min(found << PAGE_SHIFT, end);
    }

    private long firstWrittenPageAfter(long page) {
        long next = Long.MAX_VALUE;
        for (long index : content.pages.keySet()) {
            if (index > page && index < next) {
                next = index;
            }
        }
        return next;
    }

    private long firstUnwrittenPageAfter(long page) {
        long next = page + 1;
        while (content.pages.containsKey(next)) {
            next++;
        }
        return next;
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() throws ImageClosedException {
        if (closed) {
            throw new ImageClosedException(name);
        }
    }

    private void checkPosition(long position) throws InvalidRequestException {
        if (position < 0) {
            throw new InvalidRequestException(name + ": negative offset " + position);
        }
    }
}
