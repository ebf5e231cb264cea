package org.jblock.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * A writable raw image whose format was guessed, not named: it refuses a change to the bytes a
 * probe sees (the first {@value ProbeInput#HEAD_BYTES} and the last {@value ProbeInput#TAIL_BYTES})
 * that would make a probe pick another format. Otherwise a guest could write, say, a VHD footer
 * into its disk and have the next open read the disk as a VHD, one that may point at host files.
 *
 * <p>Each such change is checked by probing the content as it would be afterwards with every
 * driver. Changes to those bytes (and resizes, which move the last bytes) are serialized among
 * themselves, so two writes cannot pass the check apart and make a format together; other writes
 * run in parallel. Discard passes through: the raw driver keeps the content it is told to discard.
 */
final class ProbedRawImage extends DelegatingBlockImage {
    private static final String RAW = "raw";

    private final DriverRegistry registry;
    /** Shared by writes outside the probed bytes; exclusive for changes to them and for resizes. */
    private final ReadWriteLock probedBytes = new ReentrantReadWriteLock();

    ProbedRawImage(BlockImage raw, DriverRegistry registry) {
        super(raw);
        this.registry = registry;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        change(offset, src.remaining(), src.duplicate(), () -> delegate.write(offset, src));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        change(offset, length, null, () -> delegate.writeZeroes(offset, length, mayUnmap));
    }

    @Override
    public void resize(long newSize) throws IOException {
        probedBytes.writeLock().lock();
        try {
            if (newSize >= 0 && newSize != delegate.size()) {
                refuseFormatChange(wouldBe(newSize, 0, 0, null), "resize");
            }
            delegate.resize(newSize);
        } finally {
            probedBytes.writeLock().unlock();
        }
    }

    private interface Change {
        void run() throws IOException;
    }

    /** Runs a change of {@code [offset, offset+length)} to {@code data} (null: zeros), checked when it needs to be. */
    private void change(long offset, long length, ByteBuffer data, Change change) throws IOException {
        probedBytes.readLock().lock();
        try {
            if (!touchesProbedBytes(offset, length, delegate.size())) {
                change.run();
                return;
            }
        } finally {
            probedBytes.readLock().unlock();
        }
        probedBytes.writeLock().lock();
        try {
            long size = delegate.size();
            // A range the image refuses is left for it to refuse, with its own message.
            if (offset >= 0 && length >= 0 && length <= size - offset) {
                refuseFormatChange(wouldBe(size, offset, length, data), "write");
            }
            change.run();
        } finally {
            probedBytes.writeLock().unlock();
        }
    }

    private static boolean touchesProbedBytes(long offset, long length, long size) {
        return length > 0 && (offset < ProbeInput.HEAD_BYTES || offset + length > size - ProbeInput.TAIL_BYTES);
    }

    private void refuseFormatChange(ProbeInput after, String what) throws InvalidRequestException {
        Optional<String> format = registry.winner(after);
        if (format.isPresent() && !format.get().equals(RAW)) {
            throw new InvalidRequestException(name() + ": refusing the " + what + ": it would make the image look like a '"
                    + format.get() + "' image, and its format was only guessed as raw from its content; name the"
                    + " format (-f raw) to allow writes to its first and last bytes");
        }
    }

    /** The probe input of the image as it would be at {@code size} bytes with the range written. */
    private ProbeInput wouldBe(long size, long offset, long length, ByteBuffer data) throws IOException {
        int headLength = (int) Math.min(size, ProbeInput.HEAD_BYTES);
        int tailLength = (int) Math.min(size, ProbeInput.TAIL_BYTES);
        return new ProbeInput(bytesAfter(0, headLength, offset, length, data),
                bytesAfter(size - tailLength, tailLength, offset, length, data), size, name());
    }

    /** {@code count} bytes at {@code start}: what the image holds (zeros past its end), with the range overlaid. */
    private ByteBuffer bytesAfter(long start, int count, long offset, long length, ByteBuffer data) throws IOException {
        byte[] bytes = new byte[count];
        long held = Math.max(0, Math.min(count, delegate.size() - start));
        if (held > 0) {
            delegate.read(start, ByteBuffer.wrap(bytes, 0, (int) held));
        }
        long from = Math.max(start, offset);
        long to = Math.min(start + count, offset + length);
        if (from < to) {
            int at = (int) (from - start);
            int n = (int) (to - from);
            if (data == null) {
                java.util.Arrays.fill(bytes, at, at + n, (byte) 0);
            } else {
                data.duplicate().position(data.position() + (int) (from - offset)).get(bytes, at, n);
            }
        }
        return ByteBuffer.wrap(bytes);
    }
}
