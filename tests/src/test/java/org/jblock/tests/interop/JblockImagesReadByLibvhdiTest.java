package org.jblock.tests.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import org.jblock.tests.interop.JblockImages.Written;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VHDs that jblock creates and writes, read by libvhdi (an independent implementation, which takes
 * the size from the footer's original-size field): {@code vhdiinfo} reports jblock's virtual size
 * and pyvhdi reads the bytes jblock wrote.
 */
class JblockImagesReadByLibvhdiTest {
    @TempDir
    Path dir;

    @BeforeEach
    void requireLibvhdi() {
        Libvhdi.require();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#jblockImages")
    void vhdiinfoReportsJblocksVirtualSize(VhdCase c) throws IOException {
        Written written = JblockImages.createAndWrite(dir, c);

        assertEquals(written.size(), Libvhdi.mediaSize(written.image()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.jblock.tests.interop.VhdCase#jblockImages")
    void pyvhdiReadsTheWrittenContent(VhdCase c) throws IOException {
        Written written = JblockImages.createAndWrite(dir, c);
        var ranges = Content.toCompare(written.size(), written.plan().ranges());

        Libvhdi.Digests read = Libvhdi.sha256(written.image(), ranges);

        assertEquals(written.size(), read.mediaSize(), "media size");
        try (FileChannel expected = Content.openRaw(written.model())) {
            var want = Content.sha256(Content.ofRaw(expected), ranges);
            for (int i = 0; i < ranges.size(); i++) {
                assertEquals(want.get(i), read.sha256().get(i), "SHA-256 of " + ranges.get(i));
            }
        }
    }
}
