package org.jblock.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * QEMU's cache modes, the {@code -t}/{@code -T} of its tools: each stands for the two open options
 * {@code cache.direct} (bypass the host's page cache) and {@code cache.no-flush} (flushes do nothing),
 * which the image and everything under it take where its options do not name them, and for whether
 * every write is followed by a flush (writethrough, a property of the user of the image rather than
 * of a node).
 *
 * <table>
 *   <caption>The modes</caption>
 *   <tr><th>mode</th><th>cache.direct</th><th>cache.no-flush</th><th>flush after each write</th></tr>
 *   <tr><td>writeback</td><td>off</td><td>off</td><td>no</td></tr>
 *   <tr><td>writethrough</td><td>off</td><td>off</td><td>yes</td></tr>
 *   <tr><td>none (also {@code off})</td><td>on</td><td>off</td><td>no</td></tr>
 *   <tr><td>directsync</td><td>on</td><td>off</td><td>yes</td></tr>
 *   <tr><td>unsafe</td><td>off</td><td>on</td><td>no</td></tr>
 * </table>
 *
 * <p>{@code cache.direct=on} opens local files with {@code O_DIRECT} (the file protocol aligns what
 * its formats ask for itself); an open on a file system without {@code O_DIRECT} fails with QEMU's
 * words. Other storage (NBD, HTTP, SSH) has no page cache of this host to bypass and takes it as
 * QEMU's drivers do, changing nothing.
 */
public enum CacheMode {
    WRITEBACK(false, false, false),
    WRITETHROUGH(false, false, true),
    NONE(true, false, false),
    DIRECTSYNC(true, false, true),
    UNSAFE(false, true, false);

    private final boolean direct;
    private final boolean noFlush;
    private final boolean writethrough;

    CacheMode(boolean direct, boolean noFlush, boolean writethrough) {
        this.direct = direct;
        this.noFlush = noFlush;
        this.writethrough = writethrough;
    }

    /**
     * @param mode a mode's name as QEMU's tools take it ({@code off} is {@code none})
     * @throws InvalidOptionException {@code Invalid cache option: MODE} (qemu-img's words)
     */
    public static CacheMode parse(String mode) throws InvalidOptionException {
        if ("off".equals(mode)) {
            return NONE;
        }
        for (CacheMode m : values()) {
            if (m.modeName().equals(mode)) {
                return m;
            }
        }
        throw new InvalidOptionException("Invalid cache option: " + mode);
    }

    /** @return the mode's name, as QEMU's tools take it */
    public String modeName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the value of {@code cache.direct} this mode gives: bypass the host's page cache */
    public boolean direct() {
        return direct;
    }

    /** @return the value of {@code cache.no-flush} this mode gives: flushes do nothing */
    public boolean noFlush() {
        return noFlush;
    }

    /** @return whether every write is followed by a flush before it completes */
    public boolean writethrough() {
        return writethrough;
    }

    /** @return {@code image}, flushed after each write when this mode is writethrough */
    BlockImage over(BlockImage image) {
        return writethrough ? new Writethrough(image) : image;
    }

    /** Every write, zero write and discard is flushed before it returns. */
    private static final class Writethrough extends DelegatingBlockImage {
        Writethrough(BlockImage image) {
            super(image);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            super.write(offset, src);
            flush();
        }

        @Override
        public void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
            super.writeCopyOnRead(offset, src, allZero);
            flush();
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
            super.writeZeroes(offset, length, mayUnmap);
            flush();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            super.discard(offset, length);
            flush();
        }
    }
}
