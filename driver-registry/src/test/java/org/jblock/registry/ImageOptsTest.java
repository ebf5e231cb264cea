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

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU's --image-opts strings and json: filenames, as QEMU 7.2 parses them. */
class ImageOptsTest {
    @TempDir
    Path dir;

    private static Map<String, String> map(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static String jsonError(String filename) {
        return assertThrows(InvalidOptionException.class, () -> ImageOpts.json(filename)).getMessage();
    }

    @Test
    void image_opts_split_at_single_commas_and_a_double_comma_is_a_comma() throws Exception {
        ImageOpts.Parsed parsed = ImageOpts.parse("driver=vpc,file.driver=file,file.filename=a,,b.vhd");
        assertEquals(map("driver", "vpc", "file.driver", "file", "file.filename", "a,b.vhd"), parsed.options());
        assertEquals(List.of(), parsed.warnings());
    }

    @Test
    void a_bare_word_is_a_short_form_boolean_with_qemu_s_warning() throws Exception {
        ImageOpts.Parsed parsed = ImageOpts.parse("file.filename=a,b.vhd");
        assertEquals(map("file.filename", "a", "b.vhd", "on"), parsed.options());
        assertEquals(List.of("short-form boolean option 'b.vhd' deprecated\nPlease use b.vhd=on instead"),
                parsed.warnings());
    }

    @Test
    void bare_words_alone_name_no_image() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> ImageOpts.parse("t2.vhd"));
        assertEquals("Cannot find device='t2.vhd' nor node-name='t2.vhd'", e.getMessage());
    }

    @Test
    void json_objects_flatten_to_dotted_keys() throws Exception {
        assertEquals(map("driver", "vpc", "file.driver", "file", "file.filename", "t.vhd", "force_size_calc", "chs"),
                ImageOpts.json("json:{\"driver\": \"vpc\", \"file\": {\"driver\": \"file\", \"filename\": \"t.vhd\"},"
                        + " \"force_size_calc\": \"chs\"}"));
        assertEquals(map("a.0", "1", "a.1.b", "x", "t", "on", "f", "off", "n", "-2.5e3", "s", "q\"\\\n\u00e9"),
                ImageOpts.json("json:{'a': [1, {\"b\": \"x\"}], \"t\": true, \"f\": false, \"n\": -2.5e3,"
                        + " \"s\": \"q\\\"\\\\\\n\\u00e9\"}"));
    }

    @Test
    void bad_json_gives_qemu_s_messages() {
        assertEquals("Could not parse the JSON options: JSON parse error, invalid keyword 'bad'", jsonError("json:{bad}"));
        assertEquals("Could not parse the JSON options: JSON parse error, invalid keyword 'bad'",
                jsonError("json:{\"a\":bad}"));
        assertEquals("Invalid JSON object given", jsonError("json:[1]"));
        assertEquals("Invalid JSON object given", jsonError("json:\"x\""));
        assertEquals("Could not parse the JSON options: JSON parse error, premature EOI", jsonError("json:{\"a\":1"));
        assertEquals("Could not parse the JSON options: Expecting a JSON value", jsonError("json:"));
        assertEquals("Could not parse the JSON options: JSON parse error, missing : in object pair",
                jsonError("json:{\"a\" 1}"));
        assertEquals("Could not parse the JSON options: JSON parse error, nesting too deep",
                jsonError("json:" + "{\"a\":".repeat(100) + "1" + "}".repeat(100)));
    }

    @Test
    void a_json_name_nests_at_the_dots_and_parses_back_to_the_same_options() throws Exception {
        Map<String, String> options = map("driver", "vpc", "file.driver", "file", "file.filename", "a \"b\".vhd");
        String name = ImageOpts.jsonName(options);
        assertEquals("json:{\"driver\": \"vpc\", \"file\": {\"driver\": \"file\", \"filename\": \"a \\\"b\\\".vhd\"}}",
                name);
        assertEquals(options, ImageOpts.json(name));
        assertThrows(InvalidOptionException.class, () -> ImageOpts.jsonName(map("file", "x", "file.driver", "file")));
    }

    @Test
    void the_registry_opens_json_filenames_and_option_maps_alike() throws Exception {
        Path image = dir.resolve("x:y.img");
        Files.write(image, new byte[] {1, 2, 3});
        DriverRegistry registry = DriverRegistry.load();
        String json = "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"" + image + "\"}}";
        try (BlockImage opened = registry.open(json, OpenSpec.readOnlySpec())) {
            byte[] bytes = new byte[3];
            opened.read(0, ByteBuffer.wrap(bytes));
            assertArrayEquals(new byte[] {1, 2, 3}, bytes);
        }
        Map<String, String> options = ImageOpts.parse("driver=raw,file.filename=" + image.toString().replace(",", ",,"))
                .options();
        try (BlockImage opened = registry.open(options, OpenSpec.readOnlySpec())) {
            assertEquals(3, opened.size());
        }
    }

    @Test
    void a_json_key_the_format_does_not_take_is_refused_by_name() throws Exception {
        Path image = dir.resolve("z.img");
        Files.write(image, new byte[512]);
        DriverRegistry registry = DriverRegistry.load();
        // Keys outside file.* are the format's open options.
        String json = "json:{\"driver\":\"raw\",\"bogus\":\"1\",\"file\":{\"filename\":\"" + image + "\"}}";
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> registry.open(json, OpenSpec.readOnlySpec()));
        assertEquals(true, e.getMessage().startsWith("Invalid parameter 'bogus'"), e.getMessage());
    }
}
