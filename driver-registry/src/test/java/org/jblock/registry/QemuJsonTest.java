package org.jblock.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Expected strings as qemu-img 7.2 prints such file names in {@code info --output=json}. */
class QemuJsonTest {

    private static String quoted(String text) {
        StringBuilder out = new StringBuilder();
        QemuJson.appendString(out, text);
        return out.toString();
    }

    @Test
    void printableAsciiComesOutAsItIs() {
        assertEquals("\"plain name-1.vhd ~/\"", quoted("plain name-1.vhd ~/"));
    }

    @Test
    void controlCharactersHaveTheirShortEscapesOrUpperCaseHex() {
        assertEquals("\"a\\tb\\u0001c\\u001F\"", quoted("a\tb\u0001c\u001f"));
        assertEquals("\"\\b\\f\\n\\r\"", quoted("\b\f\n\r"));
    }

    @Test
    void quotesAndBackslashesAreEscaped() {
        assertEquals("\"\\\\\\\"q\"", quoted("\\\"q"));
    }

    @Test
    void everythingFromDeleteOnIsEscaped() {
        assertEquals("\"d\\u007F\\u00E9\\u20AC\"", quoted("d\u007f\u00e9\u20ac"));
        // Beyond U+FFFF: the surrogate pair, as QEMU writes it.
        assertEquals("\"\\uD83D\\uDE00\"", quoted("\ud83d\ude00"));
    }

    /** @return the keys, put in this order, in the order QEMU writes them */
    private static List<String> written(String... keys) {
        Map<String, String> object = new LinkedHashMap<>();
        for (String key : keys) {
            object.put(key, "");
        }
        return QemuJson.membersInOrder(object).stream().map(Map.Entry::getKey).toList();
    }

    /** The orders qemu-img 7.2 prints these objects in. */
    @Test
    void membersComeInTheOrderOfQemusDictionary() {
        assertEquals(List.of("offset", "driver", "size", "file"), written("driver", "offset", "size", "file"));
        assertEquals(List.of("driver", "filename"), written("filename", "driver"));
    }
}
