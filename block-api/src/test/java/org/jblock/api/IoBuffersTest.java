package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IoBuffersTest {

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 511, 4096, 4097, 65536, 2 << 20})
    void buffersStartOnAPageAndHoldExactlyWhatWasAsked(int capacity) {
        // Several in a row: the allocator's own placement differs from one to the next.
        for (int i = 0; i < 8; i++) {
            ByteBuffer buffer = IoBuffers.allocate(capacity);
            assertTrue(buffer.isDirect());
            assertEquals(0, buffer.alignmentOffset(0, IoBuffers.ALIGNMENT), "first byte on a page boundary");
            assertEquals(capacity, buffer.capacity());
            assertEquals(0, buffer.position());
            assertEquals(capacity, buffer.limit());
        }
    }

    @Test
    void theWholeBufferIsUsableAndStartsZeroed() {
        ByteBuffer buffer = IoBuffers.allocate(3 * IoBuffers.ALIGNMENT + 5);
        for (int i = 0; i < buffer.capacity(); i++) {
            assertEquals(0, buffer.get(i));
            buffer.put(i, (byte) i);
        }
        for (int i = 0; i < buffer.capacity(); i++) {
            assertEquals((byte) i, buffer.get(i));
        }
    }

    @ParameterizedTest(name = "aligned to {0}")
    @ValueSource(ints = {512, 4096, 65536, 1 << 20})
    void buffersStartWhereADeviceAsks(int alignment) {
        ByteBuffer buffer = IoBuffers.allocate(3 * alignment, alignment);
        assertEquals(0, buffer.alignmentOffset(0, alignment));
        assertEquals(3 * alignment, buffer.capacity());
    }

    @Test
    void impossibleCapacitiesAndAlignmentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> IoBuffers.allocate(4096, 3000));
        assertThrows(IllegalArgumentException.class, () -> IoBuffers.allocate(4096, 0));
        assertThrows(IllegalArgumentException.class, () -> IoBuffers.allocate(-1));
        assertThrows(IllegalArgumentException.class, () -> IoBuffers.allocate(Integer.MAX_VALUE));
    }

    @Test
    void isZeroLooksAtTheBytesBetweenPositionAndLimitOnly() {
        ByteBuffer data = IoBuffers.allocate(3 << 20);
        assertTrue(IoBuffers.isZero(data), "a new buffer");
        data.put((3 << 20) - 1, (byte) 7);
        assertFalse(IoBuffers.isZero(data), "a non-zero last byte, past the first megabyte compared");
        data.limit((3 << 20) - 1).position(5);
        assertTrue(IoBuffers.isZero(data), "the byte is past the limit");
        assertEquals(5, data.position());
        assertEquals((3 << 20) - 1, data.limit());
        data.put(4, (byte) 1);
        assertTrue(IoBuffers.isZero(data), "the byte is before the position");
        assertTrue(IoBuffers.isZero(ByteBuffer.allocate(0)), "no bytes at all");
    }
}
