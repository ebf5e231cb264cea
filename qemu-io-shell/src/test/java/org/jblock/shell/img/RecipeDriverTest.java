package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.AbstractBlockImage;
import org.jblock.registry.DriverRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A driver written as the README's recipe says, with {@code doRead} and {@code doWrite} alone: its
 * block status is the SPI's default (all data, no known mapping), and map and convert work on it.
 */
class RecipeDriverTest {
    private static final int HEADER = 512;

    /** The recipe's driver: a 512-byte header, then the disk. */
    static final class Plain implements BlockDriver {
        @Override
        public String name() {
            return "plain";
        }

        @Override
        public int probe(ProbeInput input) {
            return 0;
        }

        @Override
        public void create(CreateRequest request) throws IOException {
            request.file().truncate(HEADER + request.size());
        }

        @Override
        public BlockImage open(OpenRequest request) throws IOException {
            BlockFile file = request.file();
            long size = file.size() - HEADER;
            return new AbstractBlockImage("plain", file, request.readOnly()) {
                @Override
                protected long doSize() {
                    return size;
                }

                @Override
                protected void doRead(long offset, ByteBuffer dst) throws IOException {
                    file.readFully(dst, HEADER + offset);
                }

                @Override
                protected void doWrite(long offset, ByteBuffer src) throws IOException {
                    file.write(src, HEADER + offset);
                }
            };
        }
    }

    @TempDir
    Path dir;

    @Test
    void map_and_convert_work_on_a_driver_with_the_default_block_status() throws IOException {
        DriverRegistry registry = DriverRegistry.of(new Plain(), DriverRegistry.load().driver("raw"));
        Path image = dir.resolve("disk.plain");
        Img.run(registry, "create", "-q", "-f", "plain", image.toString(), "1M").assertSuccess();
        byte[] data = new byte[1 << 20];
        Arrays.fill(data, 0, 4096, (byte) 0x5a);
        try (BlockImage open = registry.open(image, new org.jblock.registry.OpenSpec("plain", false, false, ""))) {
            open.write(0, ByteBuffer.wrap(data, 0, 4096));
        }

        Img.Result map = Img.run(registry, "map", "-f", "plain", image.toString()).assertSuccess();
        assertEquals(String.format("%-16s%-16s%-16s%s%n%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File",
                "0", "0x100000", "-", image), map.out());
        Img.Result json = Img.run(registry, "map", "--output=json", "-f", "plain", image.toString()).assertSuccess();
        JsonNode entries = new ObjectMapper().readTree(json.out());
        assertEquals(1, entries.size(), json.out());
        assertEquals(1 << 20, entries.get(0).get("length").asLong(), json.out());
        assertTrue(entries.get(0).get("data").asBoolean(), json.out());
        assertFalse(entries.get(0).has("offset"), "no host offset is known: " + json.out());

        Path copy = dir.resolve("copy.raw");
        Img.run(registry, "convert", "-f", "plain", "-O", "raw", image.toString(), copy.toString()).assertSuccess();
        byte[] copied = new byte[1 << 20];
        ByteBuffer.wrap(Files.readAllBytes(copy)).get(copied);
        assertEquals(0, Arrays.compare(data, copied));
    }
}
