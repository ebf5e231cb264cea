package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jblock.tests.interop.RealTools.Result;
import org.jblock.tests.interop.RealTools.Tool;

/** libvhdi, an independent read-only VHD reader: its {@code vhdiinfo} tool and its python binding. */
final class Libvhdi {
    private static final Pattern MEDIA_SIZE = Pattern.compile("Media size\\s*:.*\\((\\d+) bytes\\)");

    /**
     * Prints the media size, then the SHA-256 of each {@code offset:length} range, read in 1 MiB
     * pieces so that large ranges need little memory.
     */
    private static final String HASH_RANGES = String.join("\n",
            "import hashlib, sys, pyvhdi",
            "image = pyvhdi.file()",
            "image.open(sys.argv[1])",
            "print(image.get_media_size())",
            "for spec in sys.argv[2:]:",
            "    offset, length = (int(x) for x in spec.split(':'))",
            "    digest = hashlib.sha256()",
            "    while length > 0:",
            "        n = min(length, 1 << 20)",
            "        digest.update(image.read_buffer_at_offset(n, offset))",
            "        offset += n",
            "        length -= n",
            "    print(digest.hexdigest())",
            "image.close()");

    /** What pyvhdi read: the media size and one digest per requested range. */
    record Digests(long mediaSize, List<String> sha256) {
    }

    private Libvhdi() {
    }

    /** Checks that vhdiinfo and pyvhdi are there (see {@link RealTools#require}). */
    static void require() {
        RealTools.require(Tool.VHDIINFO, Tool.PYVHDI);
    }

    /** @return the media size {@code vhdiinfo} prints */
    static long mediaSize(Path image) throws IOException {
        Result result = RealTools.run(Tool.VHDIINFO, image.toString()).assertSucceeded();
        Matcher m = MEDIA_SIZE.matcher(result.stdout());
        if (!m.find()) {
            fail("no media size in " + result.describe());
        }
        return Long.parseLong(m.group(1));
    }

    /** Reads {@code ranges} of the image's virtual disk through pyvhdi and returns their digests. */
    static Digests sha256(Path image, List<Range> ranges) throws IOException {
        List<String> args = new ArrayList<>(List.of("-c", HASH_RANGES, image.toString()));
        for (Range range : ranges) {
            args.add(range.start() + ":" + range.length());
        }
        Result result = RealTools.run(Tool.PYVHDI, args.toArray(String[]::new)).assertSucceeded();
        List<String> lines = result.stdout().lines().toList();
        assertEquals(ranges.size() + 1, lines.size(), () -> "one line per range expected: " + result.describe());
        return new Digests(Long.parseLong(lines.get(0).trim()),
                lines.subList(1, lines.size()).stream().map(String::trim).toList());
    }
}
