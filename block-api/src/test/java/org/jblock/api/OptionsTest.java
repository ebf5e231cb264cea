package org.jblock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptionsTest {
    private static final OptionSpec<Long> BLOCK_SIZE = OptionSpec.size("block_size", 2L << 20, "Block size");
    private static final OptionSpec<Boolean> FORCE_SIZE = OptionSpec.bool("force_size", false, "Keep the size as given");
    private static final OptionSpec<String> SUBFORMAT = OptionSpec.choice("subformat", "dynamic", "VHD subformat",
            "dynamic", "fixed");
    private static final OptionSpec<Long> COUNT = OptionSpec.integer("count", null, "How many");
    private static final OptionSpec<String> LABEL = OptionSpec.string("label", "none", "A label");
    private static final List<OptionSpec<?>> SPECS = List.of(BLOCK_SIZE, FORCE_SIZE, SUBFORMAT, COUNT, LABEL);

    private static void assertRefused(String options, String message) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> Options.parse(options, SPECS));
        assertEquals(message, e.getMessage());
    }

    @Test
    void yields_typed_values_for_each_kind_of_option() throws Exception {
        Options options = Options.parse("block_size=512k,force_size=on,subformat=fixed,count=0x10,label=disk one", SPECS);

        assertEquals(512L * 1024, options.get(BLOCK_SIZE));
        assertEquals(Boolean.TRUE, options.get(FORCE_SIZE));
        assertEquals("fixed", options.get(SUBFORMAT));
        assertEquals(16L, options.get(COUNT));
        assertEquals("disk one", options.get(LABEL));
    }

    @Test
    void yields_defaults_for_options_not_given() throws Exception {
        Options options = Options.parse("", SPECS);

        assertEquals(2L << 20, options.get(BLOCK_SIZE));
        assertEquals(Boolean.FALSE, options.get(FORCE_SIZE));
        assertEquals("dynamic", options.get(SUBFORMAT));
        assertNull(options.get(COUNT));
        assertFalse(options.isSet(SUBFORMAT));
        assertTrue(options.asMap().isEmpty());
    }

    @Test
    void remembers_which_options_were_given_in_order() throws Exception {
        Options options = Options.parse("subformat=dynamic,block_size=1M", SPECS);

        assertTrue(options.isSet(SUBFORMAT));
        assertFalse(options.isSet(FORCE_SIZE));
        assertEquals(List.of("subformat", "block_size"), List.copyOf(options.asMap().keySet()));
        assertEquals("subformat=dynamic,block_size=1048576", options.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"on", "true", "yes", "ON"})
    void reads_words_for_on(String word) throws Exception {
        assertEquals(Boolean.TRUE, Options.parse("force_size=" + word, SPECS).get(FORCE_SIZE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"off", "false", "no", "Off"})
    void reads_words_for_off(String word) throws Exception {
        assertEquals(Boolean.FALSE, Options.parse("force_size=" + word, SPECS).get(FORCE_SIZE));
    }

    @Test
    void reads_a_bare_key_as_on() throws Exception {
        assertEquals(Boolean.TRUE, Options.parse("force_size", SPECS).get(FORCE_SIZE));
    }

    @Test
    void reads_a_doubled_comma_as_a_comma_inside_a_value() throws Exception {
        Options options = Options.parse("label=a,,b,,,subformat=fixed", SPECS);

        assertEquals("a,b,", options.get(LABEL));
        assertEquals("fixed", options.get(SUBFORMAT));
    }

    @Test
    void refuses_an_unknown_key_listing_the_accepted_ones() {
        assertRefused("blocksize=1M",
                "Invalid parameter 'blocksize' (accepted: block_size, force_size, subformat, count, label)");
    }

    @Test
    void says_so_when_a_format_accepts_no_options() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Options.parse("anything=1", List.of()));
        assertEquals("Invalid parameter 'anything' (this format accepts no options)", e.getMessage());
    }

    @Test
    void refuses_a_key_given_twice() {
        assertRefused("subformat=fixed,subformat=dynamic",
                "Option 'subformat' is given more than once");
    }

    @Test
    void refuses_an_item_without_a_key() {
        assertRefused("=fixed",
                "Invalid option list: '=fixed'");
    }

    @Test
    void refuses_a_choice_that_is_not_offered_listing_the_choices() {
        assertRefused("subformat=sparse",
                "Invalid value 'sparse' for option 'subformat': expected one of dynamic, fixed");
    }

    @Test
    void refuses_a_boolean_that_is_neither_on_nor_off() {
        assertRefused("force_size=maybe",
                "Invalid value 'maybe' for option 'force_size': expected 'on' or 'off'");
    }

    @Test
    void refuses_a_size_that_does_not_parse_naming_the_option() {
        assertRefused("block_size=2Q",
                "Invalid value '2Q' for option 'block_size': expected a size such as 1048576, 64k, 1M or 2G");
    }

    @Test
    void refuses_an_integer_that_does_not_parse() {
        assertRefused("count=ten",
                "Invalid value 'ten' for option 'count': expected a whole number");
    }

    @Test
    void checks_values_given_in_code_against_their_type() throws Exception {
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("block_size", 4096);
        given.put("subformat", "fixed");
        given.put("force_size", true);
        Options options = Options.of(given, SPECS);

        assertEquals(4096L, options.get(BLOCK_SIZE));
        assertEquals("fixed", options.get(SUBFORMAT));
        assertEquals(Boolean.TRUE, options.get(FORCE_SIZE));
    }

    @Test
    void refuses_values_given_in_code_of_the_wrong_type() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Options.of(Map.of("force_size", 3L), SPECS));
        assertEquals("Invalid value '3' for option 'force_size': expected a value of type boolean", e.getMessage());
        assertThrows(InvalidOptionException.class, () -> Options.of(Map.of("subformat", "sparse"), SPECS));
    }

    @Test
    void refuses_a_default_that_is_not_a_choice() {
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.choice("mode", "maybe", "help", "on", "off"));
    }

    @Test
    void describes_itself_for_listings() {
        assertEquals("block_size", BLOCK_SIZE.name());
        assertEquals(OptionSpec.Type.SIZE, BLOCK_SIZE.type());
        assertEquals(2L << 20, BLOCK_SIZE.defaultValue());
        assertEquals("Block size", BLOCK_SIZE.help());
        assertEquals(List.of("dynamic", "fixed"), SUBFORMAT.choices());
        assertEquals("subformat (enum)", SUBFORMAT.toString());
    }
}
