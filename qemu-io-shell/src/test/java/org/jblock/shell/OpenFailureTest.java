package org.jblock.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import org.jblock.api.CorruptImageException;
import org.junit.jupiter.api.Test;

/** The reasons qemu-img and qemu-io 7.2 give after "Could not open 'X': " and "can't open device X: ". */
class OpenFailureTest {
    @Test
    void aMissingFileIsNamedAsQemuNamesIt() {
        assertEquals("Could not open 'a.vhd': No such file or directory",
                OpenFailure.reason("a.vhd", new NoSuchFileException("a.vhd")));
        assertEquals("Could not open 'inner.vhd': No such file or directory",
                OpenFailure.reason("json:{...}", new NoSuchFileException("inner.vhd", null, "No such file or directory")),
                "the file that did not open, not the whole image's name");
    }

    @Test
    void aProtocolsOwnReasonIsSaidAsItSaysIt() {
        String nbd = "Requested export not available\nserver reported: export 'x' not present";
        assertEquals(nbd, OpenFailure.reason("nbd://h/x", new NoSuchFileException("nbd://h/x", null, nbd)));
        assertEquals("Could not open 'd': Is a directory", OpenFailure.reason("d", new FileSystemException("d", null, "Is a directory")));
    }

    @Test
    void aDamagedImageSaysWhatIsWrongAloneAndOtherFailuresAreLeftToTheTool() {
        assertEquals("Invalid block size 0", OpenFailure.reason("t.vhd", new CorruptImageException("t.vhd",
                "VHD dynamic header", "block_size", 544, "Invalid block size 0", "a power of two", "0")));
        assertNull(OpenFailure.reason("t.vhd", new IOException("anything else")));
    }
}
