package org.jblock.tests.thirdparty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.registry.DriverRegistry;
import org.jblock.registry.ImageOpts;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protocol jblock has never heard of, registered through {@code META-INF/services} alone, is
 * found by the registry and reached by its prefix, by {@code driver=} and under any format.
 */
class XorProtocolRegistrationTest {
    @TempDir
    Path dir;

    @Test
    void the_registry_finds_it_and_a_format_reads_through_it() throws Exception {
        DriverRegistry registry = DriverRegistry.load();
        assertTrue(registry.protocolNames().contains("xor"), registry.protocolNames().toString());

        // A VHD made by jblock, stored xor-encoded: the vpc driver reads it through the protocol.
        Path plain = dir.resolve("plain.vhd");
        registry.create(plain, "vpc", 1 << 20, "");
        long size;
        try (BlockImage image = registry.open(plain, OpenSpec.readWrite())) {
            image.write(4096, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            size = image.size();
        }
        byte[] bytes = Files.readAllBytes(plain);
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] ^= 0x5a;
        }
        Path stored = Files.write(dir.resolve("stored.xor"), bytes);

        try (BlockImage image = registry.open("xor:" + stored, OpenSpec.readOnlySpec())) {
            assertEquals("vpc", image.info().format(), "probed through the protocol");
            byte[] read = new byte[3];
            image.read(4096, ByteBuffer.wrap(read));
            assertArrayEquals(new byte[] {1, 2, 3}, read);
        }
        try (BlockImage image = registry.open(ImageOpts.parse("driver=vpc,file.driver=xor,file.path=" + stored)
                .options(), OpenSpec.readOnlySpec())) {
            assertEquals(size, image.size());
        }
    }
}
