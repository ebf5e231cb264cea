package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;

import org.junit.jupiter.api.Test;

class CorruptImageExceptionTest {

    @Test
    void names_file_structure_field_offset_and_actual_against_expected() {
        CorruptImageException e = new CorruptImageException("t.vhd", "VHD footer", "checksum", 64,
                "Checksum mismatch", "0x0000f00d", "0x0000beef");

        assertEquals("t.vhd: corrupt VHD footer: Checksum mismatch"
                + " (field checksum at offset 64: actual 0x0000beef vs expected 0x0000f00d)", e.getMessage());
        assertEquals("t.vhd", e.file());
        assertEquals("VHD footer", e.structure());
        assertEquals("checksum", e.field());
        assertEquals(64, e.offset());
        assertEquals("0x0000f00d", e.expected());
        assertEquals("0x0000beef", e.actual());
        assertInstanceOf(IOException.class, e);
        assertInstanceOf(BlockException.class, e);
    }

    @Test
    void leaves_out_what_it_does_not_know() {
        assertEquals("t.vhd: corrupt VHD dynamic header: Invalid block size 0 (field block_size at offset 544)",
                new CorruptImageException("t.vhd", "VHD dynamic header", "block_size", 544,
                        "Invalid block size 0", null, null).getMessage());
        assertEquals("t.vhd: corrupt BAT: entry points past the end (offset 1536)",
                new CorruptImageException("t.vhd", "BAT", null, 1536,
                        "entry points past the end", null, null).getMessage());
        assertEquals("t.vhd: corrupt VHD footer: bad cookie (field cookie: actual \"conectiz\" vs expected \"conectix\")",
                new CorruptImageException("t.vhd", "VHD footer", "cookie", -1,
                        "bad cookie", "\"conectix\"", "\"conectiz\"").getMessage());
        assertEquals("t.vhd: corrupt image: too small (actual 3 vs expected null)",
                new CorruptImageException("t.vhd", "image", null, -1, "too small", null, "3").getMessage());
    }

    @Test
    void a_whole_structure_has_no_field_or_offset() {
        CorruptImageException e = new CorruptImageException("t.vhd", "BAT", "entries overlap");

        assertEquals("t.vhd: corrupt BAT: entries overlap", e.getMessage());
        assertNull(e.field());
        assertEquals(-1, e.offset());
    }
}
