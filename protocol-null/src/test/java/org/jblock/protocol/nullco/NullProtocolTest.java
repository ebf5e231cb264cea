package org.jblock.protocol.nullco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.InvalidRequestException;
import org.jblock.api.Options;
import org.jblock.api.ReadOnlyImageException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.junit.jupiter.api.Test;

class NullProtocolTest {
    private final BlockProtocol co = new NullCoProtocol();

    private BlockFile open(BlockProtocol protocol, Map<String, String> given, boolean readOnly) throws IOException {
        return protocol.open(new ProtocolRequest(Options.of(given, protocol.openOptions()), readOnly,
                BlockFile.LockMode.NONE));
    }

    @Test
    void the_only_filename_is_the_drivers_own() throws Exception {
        assertEquals(Map.of(), co.parseFilename("null-co://"));
        assertEquals(Map.of(), new NullAioProtocol().parseFilename("null-aio://"));
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> co.parseFilename("null-co://x"));
        assertEquals("The only allowed filename for this driver is 'null-co://'", e.getMessage());
        assertThrows(InvalidOptionException.class, () -> co.parseFilename("null-aio://"));
    }

    @Test
    void one_gibibyte_by_default_reading_zeros_over_whatever_the_buffer_held() throws Exception {
        try (BlockFile file = open(co, Map.of(), true)) {
            assertEquals(1L << 30, file.size());
            ByteBuffer buffer = ByteBuffer.wrap(filled(4096, 0x55));
            assertEquals(4096, file.read(buffer, (1L << 30) - 8192));
            assertArrayEquals(new byte[4096], buffer.array());
            assertEquals(-1, file.read(ByteBuffer.allocate(1), 1L << 30));
            assertEquals("null-co://", file.name());
        }
    }

    @Test
    void writes_succeed_and_are_forgotten() throws Exception {
        try (BlockFile file = open(co, Map.of("size", "64k"), false)) {
            assertEquals(65536, file.size());
            ByteBuffer data = ByteBuffer.wrap(filled(512, 7));
            file.write(data, 1024);
            assertFalse(data.hasRemaining(), "the write consumed its buffer");
            file.writeZeroes(0, 4096, true);
            file.discard(0, 65536);
            file.flush();
            ByteBuffer back = ByteBuffer.wrap(filled(512, 1));
            file.readFully(back, 1024);
            assertArrayEquals(new byte[512], back.array());
            assertTrue(file.capabilities().contains(BlockFile.Capability.WRITE));
        }
    }

    @Test
    void the_size_is_fixed() throws Exception {
        try (BlockFile file = open(co, Map.of("size", "4096"), false)) {
            assertThrows(InvalidRequestException.class, () -> file.write(ByteBuffer.allocate(2), 4095));
            assertThrows(UnsupportedFeatureException.class, () -> file.truncate(8192));
            file.truncate(4096);
        }
    }

    @Test
    void a_read_only_open_refuses_writes() throws Exception {
        try (BlockFile file = open(co, Map.of(), true)) {
            assertThrows(ReadOnlyImageException.class, () -> file.write(ByteBuffer.allocate(1), 0));
            assertThrows(ReadOnlyImageException.class, () -> file.discard(0, 1));
            assertFalse(file.capabilities().contains(BlockFile.Capability.WRITE));
        }
    }

    @Test
    void block_status_is_no_data_unless_read_zeroes_makes_it_zeros() throws Exception {
        try (BlockFile data = open(co, Map.of("size", "1M"), true);
             BlockFile zeros = open(co, Map.of("size", "1M", "read-zeroes", "on"), true)) {
            assertEquals(100, data.seekData(100));
            assertEquals(1 << 20, data.seekHole(100));
            assertFalse(data.capabilities().contains(BlockFile.Capability.HOLES));
            assertTrue(data.capabilities().contains(BlockFile.Capability.NO_DATA));
            assertFalse(zeros.capabilities().contains(BlockFile.Capability.NO_DATA));
            assertEquals(1 << 20, zeros.seekData(100));
            assertEquals(100, zeros.seekHole(100));
            assertTrue(zeros.capabilities().contains(BlockFile.Capability.HOLES));
        }
    }

    @Test
    void options_that_change_it_name_it_by_options_as_qemu_does() throws Exception {
        try (BlockFile plain = open(co, Map.of("latency-ns", "1"), true);
             BlockFile sized = open(new NullAioProtocol(), Map.of("size", "1M"), true)) {
            assertEquals("null-co://", plain.name());
            assertEquals("json:{\"driver\": \"null-aio\", \"size\": 1048576}", sized.name());
        }
    }

    @Test
    void bad_options_are_named() {
        InvalidOptionException latency = assertThrows(InvalidOptionException.class,
                () -> open(co, Map.of("latency-ns", "-1"), true));
        assertEquals("latency-ns is invalid", latency.getMessage());
        assertThrows(InvalidOptionException.class, () -> open(co, Map.of("size", "big"), true));
        assertThrows(InvalidOptionException.class, () -> open(co, Map.of("read-zeroes", "maybe"), true));
    }

    @Test
    void a_closed_file_refuses_requests() throws Exception {
        BlockFile file = open(co, Map.of(), true);
        file.close();
        assertThrows(IOException.class, () -> file.read(ByteBuffer.allocate(1), 0));
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }
}
