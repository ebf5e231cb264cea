package org.jblock.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.InvalidRequestException;

/**
 * An image's virtual disk as the storage of another format: what QEMU does when a format's
 * {@code file} child is itself a format node ({@code driver=raw,file.driver=vpc,...}, a VHD stored
 * inside a VHD). Reads past the disk's end find its end; writes stay inside it (a virtual disk does
 * not grow by being written); truncating resizes the image. Holes are the runs that read as zeros
 * with nothing stored. Closing closes the image.
 */
final class ImageBlockFile implements BlockFile {
    private final BlockImage image;

    ImageBlockFile(BlockImage image) {
        this.image = image;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        long size = image.size();
        if (position >= size) {
            return -1;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        ByteBuffer slice = dst.slice().limit(length);
        image.read(position, slice);
        dst.position(dst.position() + length);
        return length;
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        long size = image.size();
        if (position < 0 || src.remaining() > size - position) {
            throw new InvalidRequestException(image.name() + ": a write of " + src.remaining() + " bytes at offset "
                    + position + " goes past the end of the image that holds it (" + size + " bytes)");
        }
        image.write(position, src);
    }

    @Override
    public long size() throws IOException {
        return image.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        image.resize(size);
    }

    @Override
    public long seekData(long position) throws IOException {
        long size = image.size();
        for (long at = Math.max(position, 0); at < size; ) {
            Extent run = firstRun(at, size);
            if (!isHole(run)) {
                return at;
            }
            at = run.end();
        }
        return size;
    }

    @Override
    public long seekHole(long position) throws IOException {
        long size = image.size();
        for (long at = Math.max(position, 0); at < size; ) {
            Extent run = firstRun(at, size);
            if (isHole(run)) {
                return at;
            }
            at = run.end();
        }
        return size;
    }

    private Extent firstRun(long at, long size) throws IOException {
        List<Extent> runs = image.blockStatus(at, size - at);
        if (runs.isEmpty() || runs.get(0).start() > at || runs.get(0).end() <= at) {
            // A driver that says nothing about this byte: count it as data, never as a hole.
            return Extent.data(at, size - at, at);
        }
        return runs.get(0);
    }

    private static boolean isHole(Extent run) {
        return run.zero() && !run.data();
    }

    @Override
    public void flush() throws IOException {
        image.flush();
    }

    @Override
    public boolean isReadOnly() {
        return image.isReadOnly();
    }

    @Override
    public String name() {
        return image.name();
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
