package org.jblock.api.layer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.IoBuffers;
import org.jblock.api.spi.support.DelegatingBlockImage;

/**
 * QEMU's {@code discard} and {@code detect-zeroes} node options over a writable image: whether
 * discards, and zero writes that allow it, free the image's storage, and whether writes of zeros
 * become zero writes. Images opened by jblock behave as {@code discard=unmap,detect-zeroes=off};
 * {@link #over} adds this layer only where the options ask for something else. qemu-nbd's default,
 * {@code discard=ignore}, keeps every byte a client discards, and a zero write that allows
 * unmapping writes zeros instead. Closing closes the image below.
 */
public final class UnmapPolicy extends DelegatingBlockImage {
    /** QEMU's {@code discard}: what a discard request does. */
    public enum Discard {
        /** Nothing (the data stays, the request succeeds); zero writes keep their storage. */
        IGNORE,
        /** Passed down: the image may free the range, as it may for zero writes that allow it. */
        UNMAP;

        /**
         * @param value QEMU's names: {@code ignore} or {@code off}, {@code unmap} or {@code on}
         * @return the mode, or null for another value
         */
        public static Discard parse(String value) {
            return switch (value) {
                case "ignore", "off" -> IGNORE;
                case "unmap", "on" -> UNMAP;
                default -> null;
            };
        }
    }

    /** QEMU's {@code detect-zeroes}: what a write of zeros does. */
    public enum DetectZeroes {
        /** It is written as it comes. */
        OFF,
        /** It becomes a zero write that keeps the storage. */
        ON,
        /** It becomes a zero write that may free the storage (only with {@link Discard#UNMAP}). */
        UNMAP;

        /**
         * @param value QEMU's names: {@code off}, {@code on}, {@code unmap}
         * @return the mode, or null for another value
         */
        public static DetectZeroes parse(String value) {
            return switch (value) {
                case "off" -> OFF;
                case "on" -> ON;
                case "unmap" -> UNMAP;
                default -> null;
            };
        }
    }

    private final Discard discard;
    private final DetectZeroes detectZeroes;

    private UnmapPolicy(BlockImage image, Discard discard, DetectZeroes detectZeroes) {
        super(image);
        this.discard = discard;
        this.detectZeroes = detectZeroes;
    }

    /**
     * @param image        the image below, owned from now on
     * @return {@code image} itself when the options are what it does anyway ({@code unmap} and
     *         {@code off}) or when it is read-only, else this layer over it
     * @throws InvalidOptionException for {@code detect-zeroes=unmap} without {@code discard=unmap},
     *                                which QEMU refuses too
     */
    public static BlockImage over(BlockImage image, Discard discard, DetectZeroes detectZeroes)
            throws InvalidOptionException {
        check(discard, detectZeroes);
        if (image.isReadOnly() || (discard == Discard.UNMAP && detectZeroes == DetectZeroes.OFF)) {
            return image;
        }
        return new UnmapPolicy(image, discard, detectZeroes);
    }

    /**
     * @throws InvalidOptionException for {@code detect-zeroes=unmap} without {@code discard=unmap},
     *                                in QEMU's words
     */
    public static void check(Discard discard, DetectZeroes detectZeroes) throws InvalidOptionException {
        if (detectZeroes == DetectZeroes.UNMAP && discard != Discard.UNMAP) {
            throw new InvalidOptionException(
                    "setting detect-zeroes to unmap is not allowed without setting discard operation to unmap");
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (detectZeroes != DetectZeroes.OFF && src.hasRemaining() && IoBuffers.isZero(src)) {
            int length = src.remaining();
            super.writeZeroes(offset, length, detectZeroes == DetectZeroes.UNMAP);
            src.position(src.limit());
            return;
        }
        super.write(offset, src);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        super.writeZeroes(offset, length, mayUnmap && discard == Discard.UNMAP);
    }

    /** Reads pass unchanged, so the bytes are where the image below keeps them (an NBD server sends them from there). */
    @Override
    public Optional<BlockFile> hostStorage() {
        return delegate.hostStorage();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        if (discard == Discard.UNMAP) {
            super.discard(offset, length);
        }
    }
}
