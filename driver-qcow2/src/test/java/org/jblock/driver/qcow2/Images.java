package org.jblock.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import org.jblock.api.BackingImage;
import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.Options;
import org.jblock.api.spi.BackingOpener;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;

/** Images in memory for the driver's tests. */
final class Images {
    static final Qcow2Driver DRIVER = new Qcow2Driver();

    private Images() {
    }

    static MemoryBlockFile create(long size, String options) throws IOException {
        MemoryBlockFile file = new MemoryBlockFile("test.qcow2");
        DRIVER.create(new CreateRequest(file, size, Options.parse(options, DRIVER.createOptions())));
        return file;
    }

    /** A new image over {@code backing} (open read-only; the create only reads it). */
    static MemoryBlockFile createOver(BlockImage backing, String name, String options) throws IOException {
        MemoryBlockFile file = new MemoryBlockFile("top.qcow2");
        DRIVER.create(new CreateRequest(file, backing.size(), Options.parse(options, DRIVER.createOptions()),
                new BackingImage(name, name, backing)));
        return file;
    }

    static BlockImage open(BlockFile file, boolean readOnly) throws IOException {
        return DRIVER.open(new OpenRequest(file, readOnly, Options.EMPTY));
    }

    static BlockImage open(MemoryBlockFile content) throws IOException {
        return open(content.reopen(false), false);
    }

    static BlockImage openOver(BlockFile file, boolean readOnly, BackingOpener opener) throws IOException {
        return DRIVER.open(new OpenRequest(file, readOnly, Options.EMPTY, opener));
    }

    static byte[] read(BlockImage image, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        image.read(offset, buffer);
        return buffer.array();
    }

    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static CheckReport check(BlockFile file) throws IOException {
        try (BlockImage image = open(file, true)) {
            return image.check(CheckMode.REPORT);
        }
    }

    static List<CheckReport.Finding> corruptions(CheckReport report) {
        return report.findings().stream().filter(f -> f.severity() == CheckReport.Severity.CORRUPTION).toList();
    }
}
