package org.jblock.shell.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class QemuNumbersTest {

    private static long count(String text) throws QemuNumbers.BadNumberException {
        return QemuNumbers.byteCount(text, w -> { });
    }

    @Test
    void byte_counts_take_binary_suffixes_fractions_and_hex() throws Exception {
        assertEquals(512, count("512"));
        assertEquals(65536, count("64k"));
        assertEquals(65536, count("64K"));
        assertEquals(3L << 30, count("3G"));
        assertEquals(1L << 60, count("1E"));
        assertEquals(1536, count("1.5k"));
        assertEquals(1126, count("1.1k"), "fractions round down to whole bytes");
        assertEquals(512, count("0x200"));
        assertEquals(10, count("010"), "a leading zero is not octal");
        assertEquals(1, count("1."));
        assertEquals(Long.MAX_VALUE, count("9223372036854775807"));
    }

    @Test
    void a_suffix_on_a_hex_number_works_with_a_warning() throws Exception {
        List<String> warnings = new ArrayList<>();
        assertEquals(16384, QemuNumbers.byteCount("0x10k", warnings::add));
        assertEquals(List.of("warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k"), warnings);
    }

    @Test
    void bad_byte_counts_are_refused_in_qemu_words() {
        for (String bad : new String[] {"1x", "x", "-1", "1e3", "1.9", "1kB", ".5k", "0x1.8k", ""}) {
            QemuNumbers.BadNumberException e = assertThrows(QemuNumbers.BadNumberException.class, () -> count(bad));
            assertEquals("Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- " + bad,
                    e.getMessage());
        }
        for (String large : new String[] {"8E", "9223372036854775808", "18446744073709551616"}) {
            QemuNumbers.BadNumberException e = assertThrows(QemuNumbers.BadNumberException.class, () -> count(large));
            assertEquals("Parsing error: argument too large -- " + large, e.getMessage());
        }
    }

    @Test
    void pattern_bytes_are_read_as_c_strtol_reads_them() throws Exception {
        assertEquals(171, QemuNumbers.patternByte("0xab"));
        assertEquals(8, QemuNumbers.patternByte("010"));
        assertEquals(255, QemuNumbers.patternByte("255"));
        assertEquals(5, QemuNumbers.patternByte("+5"));
        for (String bad : new String[] {"256", "-1", "08", "abc", "1e"}) {
            QemuNumbers.BadNumberException e = assertThrows(QemuNumbers.BadNumberException.class,
                    () -> QemuNumbers.patternByte(bad));
            assertEquals(bad + " is not a valid pattern byte", e.getMessage());
        }
    }

    @Test
    void sizes_print_like_cvtstr() {
        assertEquals("0 bytes", QemuNumbers.humanSize(0));
        assertEquals("512 bytes", QemuNumbers.humanSize(512));
        assertEquals("64 KiB", QemuNumbers.humanSize(65536));
        assertEquals("64.016 MiB", QemuNumbers.humanSize(67125248));
        assertEquals("1.500 KiB", QemuNumbers.humanSize(1536));
        assertEquals("8 EiB", QemuNumbers.humanSize(Long.MAX_VALUE));
        assertEquals("2.527907 bytes", QemuNumbers.humanSize(2.527907));
        // C's printf rounds the exact binary value half to even: 1.0625 KiB is 1.062, not 1.063.
        assertEquals("1.062 KiB", QemuNumbers.humanSize(1088));
    }

    @Test
    void times_print_like_timestr() {
        assertEquals("00.12 sec", Reports.time(120_000, false));
        assertEquals("0:00:00.12", Reports.time(120_000, true));
        assertEquals("1:01:01.50", Reports.time(3_661_500_000L, false));
    }
}
