package org.jblock.tests.thirdparty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

import org.jblock.api.BlockImage;
import org.jblock.api.CorruptImageException;
import org.jblock.protocol.file.LocalBlockFile;
import org.jblock.api.spi.BlockDriver;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.OpenSpec;
import org.jblock.tests.thirdparty.tiny.TinyDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver jblock has never heard of, registered only through {@code META-INF/services}, is found by
 * the registry next to the shipped drivers and is picked by probing for its own files.
 */
class TinyDriverRegistrationTest {
    private static final long DISK_SIZE = 1 << 20;

    private final DriverRegistry registry = DriverRegistry.load();

    @TempDir
    Path folder;

    @Test
    void the_registry_finds_tiny_next_to_the_shipped_drivers() throws IOException {
        List<String> names = registry.drivers().stream().map(BlockDriver::name).toList();
        assertTrue(names.containsAll(List.of("raw", "tiny", "vpc")), () -> "drivers found: " + names);
        assertInstanceOf(TinyDriver.class, registry.driver("tiny"));
    }

    @Test
    void tiny_wins_the_probe_for_its_images_and_opens_them_through_the_registry() throws IOException {
        Path image = folder.resolve("disk.img");
        registry.create(image, "tiny", DISK_SIZE, "");
        try (LocalBlockFile file = LocalBlockFile.open(image, true)) {
            assertEquals("tiny", registry.probe(file).name(), "the driver that wins the probe of a tiny image");
        }

        byte[] data = new byte[3 * 4096 + 17];
        new Random(7).nextBytes(data);
        try (BlockImage opened = registry.open(image, OpenSpec.readWrite())) {
            assertEquals("tiny", opened.info().format());
            assertEquals(DISK_SIZE, opened.size());
            opened.write(DISK_SIZE - data.length, ByteBuffer.wrap(data));
        }
        try (BlockImage opened = registry.open(image, OpenSpec.readOnlySpec())) {
            ByteBuffer back = ByteBuffer.allocate(data.length);
            opened.read(DISK_SIZE - data.length, back);
            assertArrayEquals(data, back.array(), "the data written through the registry, read back");
        }
    }

    @Test
    void other_files_fall_back_to_raw() throws IOException {
        byte[] content = new byte[64 * 1024];
        new Random(11).nextBytes(content);
        Path other = Files.write(folder.resolve("random.img"), content);
        try (LocalBlockFile file = LocalBlockFile.open(other, true)) {
            assertEquals("raw", registry.probe(file).name(), "the driver that wins the probe of a random file");
        }
    }

    @Test
    void a_damaged_header_is_refused_as_a_corrupt_tiny_image() throws IOException {
        Path image = folder.resolve("damaged.img");
        registry.create(image, "tiny", DISK_SIZE, "");
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
            // The high byte of disk_size: a header claiming a disk larger than the file.
            channel.write(ByteBuffer.wrap(new byte[] {0x10}), 16);
        }
        CorruptImageException refused = assertThrows(CorruptImageException.class,
                () -> registry.open(image, OpenSpec.readOnlySpec()).close());
        assertEquals("checksum", refused.field(), refused.getMessage());
        assertTrue(refused.getMessage().contains("damaged.img"), refused.getMessage());
    }
}
