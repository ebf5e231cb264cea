package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.jblock.api.BlockImage;

/**
 * Compares virtual-disk content between readers (jblock, a raw file that a real tool wrote), in
 * 1 MiB pieces so that no comparison needs memory in proportion to the disk.
 */
final class Content {
    /** Disks up to this size (the Disk2vhd sample's 251 MiB) are compared whole; larger ones over chosen ranges. */
    static final long WHOLE_DISK_LIMIT = 256L << 20;
    /** A whole disk is compared in pieces of this size, so that a digest mismatch says where. */
    private static final long PIECE = 16L << 20;
    private static final int CHUNK = 1 << 20;
    private static final long MARGIN = 64 * 1024;
    private static final int SAMPLES = 8;

    /** Something that reads a virtual disk's bytes. */
    @FunctionalInterface
    interface Reader {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    private Content() {
    }

    static Reader of(BlockImage image) {
        return image::read;
    }

    /** Reads a raw file; bytes past its end read as zeros, as they would on a disk of that size. */
    static Reader ofRaw(FileChannel raw) {
        return (offset, dst) -> {
            long at = offset;
            while (dst.hasRemaining()) {
                int n = raw.read(dst, at);
                if (n < 0) {
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                    return;
                }
                at += n;
            }
        };
    }

    static FileChannel openRaw(Path raw) throws IOException {
        return FileChannel.open(raw, StandardOpenOption.READ);
    }

    /**
     * The ranges worth comparing on a disk of {@code size} bytes: all of it when small (in pieces); else every
     * written range with a margin around it (so data shifted a little shows), the first and last
     * MiB, and a few windows spread evenly over the rest (holes must read as zeros everywhere).
     */
    static List<Range> toCompare(long size, List<Range> written) {
        List<Range> ranges = new ArrayList<>();
        if (size <= WHOLE_DISK_LIMIT) {
            for (long start = 0; start < size; start += PIECE) {
                ranges.add(new Range(start, Math.min(PIECE, size - start)));
            }
            return ranges;
        }
        for (Range range : written) {
            ranges.add(range.widened(MARGIN, size));
        }
        ranges.add(new Range(0, CHUNK));
        ranges.add(new Range(size - CHUNK, CHUNK));
        for (int i = 1; i <= SAMPLES; i++) {
            long start = size / (SAMPLES + 1) * i / 512 * 512;
            ranges.add(new Range(start, Math.min(CHUNK, size - start)));
        }
        return Range.union(ranges);
    }

    /** Fails the test at the first byte, within {@code ranges}, where {@code actual} differs from {@code expected}. */
    static void assertSame(String what, Reader expected, Reader actual, List<Range> ranges) throws IOException {
        ByteBuffer want = ByteBuffer.allocate(CHUNK);
        ByteBuffer got = ByteBuffer.allocate(CHUNK);
        for (Range range : ranges) {
            for (long at = range.start(); at < range.end(); at += CHUNK) {
                int n = (int) Math.min(CHUNK, range.end() - at);
                want.clear().limit(n);
                got.clear().limit(n);
                expected.read(at, want);
                actual.read(at, got);
                int mismatch = want.flip().mismatch(got.flip());
                if (mismatch >= 0) {
                    fail(String.format("%s: content differs at offset %d: expected 0x%02x, read 0x%02x",
                            what, at + mismatch, want.get(mismatch), got.get(mismatch)));
                }
            }
        }
    }

    /** @return the SHA-256 of each range as read by {@code reader}, in lower-case hex */
    static List<String> sha256(Reader reader, List<Range> ranges) throws IOException {
        List<String> digests = new ArrayList<>();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        for (Range range : ranges) {
            MessageDigest digest = newSha256();
            for (long at = range.start(); at < range.end(); at += CHUNK) {
                chunk.clear().limit((int) Math.min(CHUNK, range.end() - at));
                reader.read(at, chunk);
                digest.update(chunk.flip());
            }
            digests.add(HexFormat.of().formatHex(digest.digest()));
        }
        return digests;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
