package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The tools' JSON writer: qemu-img's layout, and text a JSON parser reads back as written. */
class JsonTest {
    private static String print(Object value) {
        StringWriter text = new StringWriter();
        Json.print(new PrintWriter(text, true), value);
        return text.toString();
    }

    @Test
    void nestedValuesAreLaidOutAsQemuImgLaysThemOut() {
        Map<String, Object> object = Json.object();
        object.put("virtual-size", 67108864L);
        object.put("format-specific", Map.of("type", "vpc"));
        object.put("list", List.of(1, true));
        object.put("none", List.of());
        object.put("empty", Map.of());
        object.put("missing", null);
        assertEquals("""
                {
                    "virtual-size": 67108864,
                    "format-specific": {
                        "type": "vpc"
                    },
                    "list": [
                        1,
                        true
                    ],
                    "none": [ ],
                    "empty": { },
                    "missing": null
                }
                """, print(object));
    }

    @Test
    void stringsKeepEveryCharacterAParserReadsBackEscapedAsQemuEscapesThem() throws Exception {
        String awkward = "quote \" backslash \\ newline \n tab \t bell \u0007 accent \u00e9 snowman \u2603 /";
        Map<String, Object> object = Json.object();
        object.put(awkward, awkward);
        String text = print(object);
        JsonNode back = new ObjectMapper().readTree(text);
        assertEquals(awkward, back.get(awkward).asText());
        assertEquals("{\n    \"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007 accent \\u00E9 snowman \\u2603 /\": ",
                text.substring(0, text.indexOf(": ") + 2));
    }

    @Test
    void aMapEntryGoesOnOneLine() {
        Map<String, Object> extent = Json.object();
        extent.put("start", 0L);
        extent.put("length", 512L);
        extent.put("data", true);
        assertEquals("{ \"start\": 0, \"length\": 512, \"data\": true}", Json.oneLine(extent));
    }

    @Test
    void aValueWithoutAJsonFormIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> print(List.of(new Object())));
    }
}
