package org.jblock.tests.interop;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jblock.api.BlockImage;

/**
 * The writes a suite puts into an image, chosen where drivers go wrong: the first bytes, across a
 * block boundary at odd offsets, over more than a whole block, in the middle, up to the last byte,
 * and zeros over part of earlier data. The same plan is replayed into a sparse raw file, the
 * expected content.
 *
 * @param writes in the order they are applied (later ones win where they overlap)
 * @param varied whether the data varies byte by byte (jblock and the raw model can write any data;
 *               qemu-io writes one repeated byte, its {@code -P} pattern)
 */
record WritePlan(List<PatternWrite> writes, boolean varied) {

    /** One write: {@code length} bytes of {@code pattern} (or zeros) at {@code offset}. */
    record PatternWrite(long offset, int length, int pattern, boolean zeroes) {

        Range range() {
            return new Range(offset, length);
        }

        ByteBuffer data(boolean varied) {
            ByteBuffer data = ByteBuffer.allocate(length);
            if (zeroes) {
                return data;
            }
            for (int i = 0; i < length; i++) {
                // Offset-dependent bytes reveal data written at a shifted place even inside one write.
                data.put(i, (byte) (varied ? pattern * 131 + i * 7 + (i >>> 9) * 13 : pattern));
            }
            return data;
        }

        String qemuIoCommand() {
            return zeroes
                    ? "write -z " + offset + " " + length
                    : String.format(Locale.ROOT, "write -P 0x%02x %d %d", pattern, offset, length);
        }
    }

    /**
     * The plan for a disk of {@code size} bytes whose allocation unit is {@code blockSize}; writes
     * that would not fit in the disk are left out.
     */
    static WritePlan forDisk(long size, long blockSize, boolean varied) {
        List<PatternWrite> writes = new ArrayList<>();
        addIfFits(writes, size, new PatternWrite(0, 64 * 1024, 0x11, false));
        addIfFits(writes, size, new PatternWrite(blockSize - 1539, 8192 + 7, 0x22, false));
        addIfFits(writes, size, new PatternWrite(3 * blockSize - 4096, Math.toIntExact(blockSize + 8192), 0x33, false));
        addIfFits(writes, size, new PatternWrite(size / 2 / 512 * 512 + 777, 5000, 0x44, false));
        addIfFits(writes, size, new PatternWrite(size - 4099, 4099, 0x55, false));
        addIfFits(writes, size, new PatternWrite(4096 + 100, 1000, 0, true));
        return new WritePlan(List.copyOf(writes), varied);
    }

    private static void addIfFits(List<PatternWrite> writes, long size, PatternWrite write) {
        if (write.offset() >= 0 && write.offset() + write.length() <= size) {
            writes.add(write);
        }
    }

    /** @return the ranges written, in order */
    List<Range> ranges() {
        return writes.stream().map(PatternWrite::range).toList();
    }

    /** @return qemu-io's commands for the plan; only a plan of repeated bytes has them */
    List<String> qemuIoCommands() {
        if (varied) {
            throw new IllegalStateException("qemu-io writes repeated bytes only");
        }
        return writes.stream().map(PatternWrite::qemuIoCommand).toList();
    }

    /** Writes the plan through jblock. */
    void applyTo(BlockImage image) throws IOException {
        for (PatternWrite write : writes) {
            if (write.zeroes()) {
                image.writeZeroes(write.offset(), write.length(), false);
            } else {
                image.write(write.offset(), write.data(varied));
            }
        }
    }

    /** Writes the expected content: a sparse raw file of {@code size} bytes holding the plan. */
    void writeRawModel(Path raw, long size) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(size);
            FileChannel channel = file.getChannel();
            for (PatternWrite write : writes) {
                ByteBuffer data = write.data(varied);
                long at = write.offset();
                while (data.hasRemaining()) {
                    at += channel.write(data, at);
                }
            }
        }
    }
}
