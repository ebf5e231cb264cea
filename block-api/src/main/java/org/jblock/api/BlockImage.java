package org.jblock.api;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * An open disk image: a virtual disk of {@link #size()} bytes, addressed at any byte offset.
 *
 * <p><b>Thread safety.</b> Every method may be called from many threads at once. Reads and writes of
 * disjoint ranges never disturb each other; the outcome of overlapping concurrent writes is one of
 * the writes, per byte. {@link #close()} must not race with other calls; calls after it fail with
 * {@link ImageClosedException}.
 *
 * <p><b>Ranges.</b> A request must lie within {@code [0, size())}; one that does not is refused with
 * {@link InvalidRequestException} before anything is read or written, never truncated.
 *
 * <p><b>Optional abilities</b> (check, resize, write-zeroes without writing) are refused through
 * {@link UnsupportedFeatureException} when the format lacks them.
 */
public interface BlockImage extends Closeable {

    /** @return the virtual disk size in bytes, as the guest sees it */
    long size() throws IOException;

    /** @return whether writes are refused */
    boolean isReadOnly();

    /** @return the name of the storage, for messages */
    String name();

    /**
     * Fills {@code dst} (all its remaining bytes) with the virtual disk's content at {@code offset}.
     * Unallocated areas read as zeros.
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /**
     * Writes into this image's own layer data that was just read through it from its backing chain
     * (copy-on-read): what the image reads does not change, only where it is kept. As
     * {@link #write}, or as {@link #writeZeroes} without unmapping when {@code allZero} says the
     * data is all zeros. A filter may tell these writes apart from a guest's: blkdebug fires its
     * {@code cor_write} event for them, as QEMU's block layer does.
     */
    default void writeCopyOnRead(long offset, ByteBuffer src, boolean allZero) throws IOException {
        if (allZero) {
            int length = src.remaining();
            writeZeroes(offset, length, false);
            src.position(src.limit());
        } else {
            write(offset, src);
        }
    }

    /**
     * Makes {@code [offset, offset+length)} read as zeros, without writing zero buffers where the
     * format can express zeros in its metadata.
     *
     * @param mayUnmap whether the space may be given back (areas may become unallocated)
     */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /**
     * Whether {@link #writeZeroes} over {@code [offset, offset+length)} would only change metadata
     * (or ask the storage to, as a hole punched in a file), never write zero bytes. A caller that
     * zeroes only when it is cheap (NBD's {@code FAST_ZERO}, QEMU's no-fallback zero writes) asks
     * first. {@code false} is always a correct answer; the default gives it, as an image that
     * cannot tell.
     */
    default boolean zeroesCheaply(long offset, long length) throws IOException {
        return false;
    }

    /**
     * Tells the image the range is no longer needed. Advisory: the content afterwards is
     * unspecified (a format may keep it, zero it or unmap it); it never fails for a valid range.
     */
    void discard(long offset, long length) throws IOException;

    /** Makes every completed write durable, metadata included. */
    void flush() throws IOException;

    /**
     * Describes how {@code [offset, offset+length)} is stored, as a list of extents that covers the
     * range exactly, in order, with neighbours merged where every flag and the host mapping agree.
     */
    List<Extent> blockStatus(long offset, long length) throws IOException;

    /**
     * The storage that the {@link Extent#hostOffset() host offsets} of this image's own extents
     * (depth 0) point into, for a caller that moves a run's bytes without reading them through the
     * image (QEMU's block status "offset valid" and its file): a data extent with a host offset reads
     * as the same number of bytes of this storage at that offset, as they are stored there. Runs of
     * deeper layers point into the storage of the layer they come from ({@link #backing()}).
     *
     * <p>A mapping holds only while nothing writes to the image or reshapes it: a caller that reads
     * the storage later than the block status (an NBD server sending a reply) relies on it only for
     * a read-only image. The storage is the image's, for reading: the caller neither writes nor
     * closes it.
     *
     * @return the storage, or empty (the default) when host offsets are not byte offsets of one
     *         storage that holds the bytes as they read (compressed or encrypted data, memory)
     */
    default Optional<BlockFile> hostStorage() {
        return Optional.empty();
    }

    /**
     * The image this one reads through to where it holds nothing itself (a differencing VHD's parent,
     * an overlay's base), open and owned by this image: closing this image closes it. Read-only
     * unless the chain was opened for a commit.
     *
     * @return the backing image, or empty for an image that stands alone
     */
    default Optional<BlockImage> backing() {
        return Optional.empty();
    }

    /**
     * Makes every range of a layered image read from its backing image again (QEMU's "make empty",
     * what {@code commit} does to the image it committed). Crash-safe: at any moment each range reads
     * either this layer's old data or the backing image's.
     *
     * @throws UnsupportedFeatureException when the image has no backing image or the format cannot
     */
    default void makeEmpty() throws IOException {
        throw new UnsupportedFeatureException(name() + ": the image has no backing file to fall back to");
    }

    /**
     * Records another backing image in this layered image's metadata (QEMU's "change backing file"):
     * only the metadata changes, so the ranges this layer does not hold now read from the new backing
     * image; a safe rebase copies what differs first. Crash-safe: at any moment the image names either
     * its old backing image or the new one. The image owns {@code backing.image()} from now on and
     * closes its old backing image.
     *
     * @param backing the new backing image, or null to stand alone (for a format that can, once every
     *                range this layer does not hold reads as zeros without a backing image)
     * @throws UnsupportedFeatureException when the format or this image cannot
     */
    default void changeBacking(BackingImage backing) throws IOException {
        throw new UnsupportedFeatureException(name() + ": Operation not supported");
    }

    /** @return the format name, sizes and the format's own fields */
    ImageInfo info() throws IOException;

    /**
     * @return the bytes the image takes in its storage ({@code qemu-img info}'s {@code disk size}):
     *         the {@link BlockFile#allocatedSize() allocated size} of the file under it; -1 when
     *         unknown (the default)
     */
    default long allocatedSize() throws IOException {
        return -1;
    }

    /**
     * Checks the image's metadata for corruptions and leaks, and repairs what {@code mode} allows.
     * Findings are collected into the report; the check fails only when it cannot run at all.
     *
     * @param progress hears how far the check has come
     * @throws UnsupportedFeatureException when the format has no checks
     * @throws ReadOnlyImageException when a repair is asked of a read-only image
     */
    CheckReport check(CheckMode mode, ProgressListener progress) throws IOException;

    /** {@link #check(CheckMode, ProgressListener)} with nobody listening to its progress. */
    default CheckReport check(CheckMode mode) throws IOException {
        return check(mode, ProgressListener.NONE);
    }

    /**
     * Changes the virtual size. New space reads as zeros. Shrinking drops the tail's data.
     *
     * @throws UnsupportedFeatureException when the format or this image cannot be resized to that size
     */
    void resize(long newSize) throws IOException;

    /** Flushes and releases the image and its storage. Closing twice is harmless. */
    @Override
    void close() throws IOException;
}
