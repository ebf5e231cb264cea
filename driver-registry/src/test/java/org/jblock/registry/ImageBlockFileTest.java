package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.driver.raw.RawDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A format as another format's file ({@code driver=raw,file.driver=raw,...}), as QEMU stacks nodes. */
class ImageBlockFileTest {
    @TempDir
    Path dir;

    private final DriverRegistry registry = DriverRegistry.of(List.of(new RawDriver()),
            List.of(new org.jblock.protocol.file.FileProtocol()));

    @Test
    void aFormatWhoseFileIsAFormatReadsAndWritesThroughBoth() throws Exception {
        Path file = Files.write(dir.resolve("x.img"), new byte[] {7, 7, 7, 7});
        Map<String, String> options = new LinkedHashMap<>();
        options.put("driver", "raw");
        options.put("file.driver", "raw");
        options.put("file.file.filename", file.toString());
        try (BlockImage outer = registry.open(options, OpenSpec.readWrite())) {
            assertEquals(4, outer.size());
            outer.write(1, ByteBuffer.wrap(new byte[] {1, 2}));
            assertEquals(InvalidRequestException.class, assertThrows(Exception.class,
                    () -> outer.write(3, ByteBuffer.wrap(new byte[] {1, 2}))).getClass(), "a virtual disk does not grow");
        }
        assertArrayEquals(new byte[] {7, 1, 2, 7}, Files.readAllBytes(file));
    }

    @Test
    void holesAreTheRunsTheImageReadsAsZerosWithNothingStored() throws Exception {
        MemoryBlockFile memory = new MemoryBlockFile("m");
        int page = 1 << 16;   // memory stores whole 64 KiB pages
        memory.truncate(4 * page);
        memory.write(ByteBuffer.wrap(new byte[page]).put(0, (byte) 1), page);
        try (BlockFile file = new ImageBlockFile(registry.open(memory, OpenSpec.readWrite().withFormat("raw")))) {
            assertEquals(4 * page, file.size());
            assertEquals(page, file.seekData(0));
            assertEquals(2 * page, file.seekHole(page + 10));
            assertEquals(4 * page, file.seekData(2 * page));
            ByteBuffer tail = ByteBuffer.allocate(100);
            assertEquals(4, file.read(tail, 4 * page - 4), "a read stops at the end of the virtual disk");
            assertEquals(-1, file.read(ByteBuffer.allocate(1), 4 * page));
        }
    }
}
