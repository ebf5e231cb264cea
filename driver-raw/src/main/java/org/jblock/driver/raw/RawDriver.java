package org.jblock.driver.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/** The raw format: identity mapping, the fallback of every probe. */
public final class RawDriver implements BlockDriver {
    static final OptionSpec<String> PREALLOCATION = OptionSpec.choice("preallocation", "off",
            "Preallocation mode (allowed values: off, full)", "off", "full");
    /** QEMU's raw {@code offset}: where in the file the disk starts. */
    static final OptionSpec<Long> OFFSET = OptionSpec.size("offset", 0L, "offset in the file where the disk starts")
            .strong();
    /** QEMU's raw {@code size}: the disk's size, for a disk that ends before the file does. */
    static final OptionSpec<Long> SIZE = OptionSpec.size("size", null, "virtual disk size").strong();
    private static final long SECTOR = 512;

    private static final int FILL_CHUNK = 1 << 20;

    public RawDriver() {
    }

    @Override
    public String name() {
        return "raw";
    }

    /** The file is the disk: writers may share it, as QEMU lets them share a raw file. */
    @Override
    public boolean hasMetadata() {
        return false;
    }

    @Override
    public String description() {
        return "raw disk image: the file is the disk";
    }

    /** Any file can be raw, so raw always answers, with the lowest non-zero score. */
    @Override
    public int probe(ProbeInput input) {
        return 1;
    }

    /**
     * Opens the file, or the window of it that {@code offset} and {@code size} give, refusing one
     * that does not fit in the file as QEMU does (with its words: scripts match them).
     */
    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        long offset = request.options().get(OFFSET);
        Long size = request.options().get(SIZE);
        if (offset != 0 || size != null) {
            long fileSize = request.file().size();
            if (offset > fileSize) {
                throw new InvalidOptionException("Offset (" + offset + ") cannot be greater than size of the"
                        + " containing file (" + fileSize + ")");
            }
            if (size != null && size > fileSize - offset) {
                // QEMU's message, with its two spaces before "actual".
                throw new InvalidOptionException("The sum of offset (" + offset + ") and size (" + size + ") has to"
                        + " be smaller or equal to the  actual size of the containing file (" + fileSize + ")");
            }
            if (size != null && size % SECTOR != 0) {
                throw new InvalidOptionException("Specified size is not multiple of " + SECTOR);
            }
        }
        return new RawImage(request.file(), request.readOnly(), offset, size == null ? -1 : size);
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return List.of(OFFSET, SIZE);
    }

    @Override
    public void create(CreateRequest request) throws IOException {
        long size = request.size();
        if (size < 0) {
            throw new InvalidOptionException("Invalid image size " + size
                    + ": it must be between 0 and " + Long.MAX_VALUE + " bytes");
        }
        if ("full".equals(request.options().get(PREALLOCATION))) {
            ByteBuffer zeros = ByteBuffer.allocate(FILL_CHUNK);
            for (long at = 0; at < size; at += FILL_CHUNK) {
                request.file().write(zeros.clear().limit((int) Math.min(FILL_CHUNK, size - at)), at);
            }
        }
        request.file().truncate(size);
    }

    @Override
    public List<OptionSpec<?>> createOptions() {
        return List.of(PREALLOCATION);
    }
}
