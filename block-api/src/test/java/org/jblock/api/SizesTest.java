package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
            "0, 0",
            "512, 512",
            "9223372036854775807, 9223372036854775807",
            "1k, 1024",
            "1K, 1024",
            "64k, 65536",
            "1M, 1048576",
            "1m, 1048576",
            "1G, 1073741824",
            "2040G, 2190433320960",
            "1T, 1099511627776",
            "1P, 1125899906842624",
            "1E, 1152921504606846976",
            "7E, 8070450532247928832",
            "100b, 100",
            "100B, 100",
            "0x10, 16",
            "0x200, 512",
            "+5, 5",
            "1., 1",
            "1.k, 1024",
            "1.0001k, 1024",
            "0.0000001k, 0",
            "1.5k, 1536",
            "0.5M, 524288",
            "2.0, 2",
    })
    void parses_every_suffix_as_a_binary_multiple(String text, long expected) throws Exception {
        assertEquals(expected, Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k", "-1", "1x", "abc", "1kk", "1 k", ".5k", "1,5k", "64KB", "64kb", "0x", "0x1.5k",
            "1.5", "0.3b", "64k ", "\t-1", "1\r"})
    void refuses_what_is_not_a_size_naming_the_text(String text) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> Sizes.parse(text));
        assertEquals("Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- " + text,
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {" 64k", "\t64k", "\t \t64k", "\n\u000b\f\r+64k", "\t0x10000"})
    void skips_white_space_before_the_number_as_qemu_does(String text) throws Exception {
        assertEquals(65536, Sizes.parse(text));
    }

    @ParameterizedTest
    @NullAndEmptySource
    void refuses_no_text(String text) {
        assertThrows(InvalidOptionException.class, () -> Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"8E", "9223372036854775808", "8192P", "99999999999999999999999T"})
    void refuses_sizes_beyond_the_largest_long(String text) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> Sizes.parse(text));
        assertEquals("Parsing error: argument too large -- " + text, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0x10k, true", "0x10K, true", "+0x2M, true", "0x10b, false", "0x1e, false", "0x10, false",
            "16k, false"})
    void tells_a_hex_number_with_a_multiplying_suffix(String text, boolean expected) {
        assertEquals(expected, Sizes.isHexWithSuffix(text));
    }

    @ParameterizedTest(name = "{0} bytes print as {1}")
    @CsvSource({
            "0, 0 B",
            "512, 512 B",
            "999, 999 B",
            "1000, 0.977 KiB",
            "1024, 1 KiB",
            "1536, 1.5 KiB",
            "1023488, 1e+03 KiB",
            "67108864, 64 MiB",
            "10737418240, 10 GiB",
            "107374182400, 100 GiB",
            "2190433320960, 1.99 TiB",
            "1125899906842624, 1 PiB",
            "9223372036854775807, 8 EiB",
    })
    void prints_sizes_as_qemu_img_does(long bytes, String expected) {
        assertEquals(expected, Sizes.human(bytes));
    }
}
