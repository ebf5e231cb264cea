package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResizeCommandTest {
    @TempDir
    Path dir;

    private Path raw(int size) throws Exception {
        return Files.write(dir.resolve("r.raw"), new byte[size]);
    }

    @Test
    void growsToAnAbsoluteOrRelativeSize() throws Exception {
        Path file = raw(1 << 20);
        assertEquals("Image resized.\n", Img.run("resize", "-f", "raw", file.toString(), "2M").assertSuccess().out());
        assertEquals(2 << 20, Files.size(file));
        Img.run("resize", "-f", "raw", file.toString(), "+512k").assertSuccess();
        assertEquals((2 << 20) + (512 << 10), Files.size(file));
    }

    @Test
    void shrinkingNeedsTheShrinkOption() throws Exception {
        Path file = raw(2 << 20);
        assertTrue(Img.run("resize", "-f", "raw", file.toString(), "-1M").assertOneLineError(1).err()
                .contains("Use the --shrink option"));
        assertEquals(2 << 20, Files.size(file), "nothing changed");
        Img.Result r = Img.run("resize", "--shrink", "-f", "raw", file.toString(), "-1M");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("warning: Shrinking an image will delete all data"), r.err());
        assertEquals(1 << 20, Files.size(file));
        Img.run("resize", "--shrink", "-f", "raw", file.toString(), "--", "-512k").assertOneLineError(0);
        assertEquals(512 << 10, Files.size(file));
    }

    @Test
    void badSizesAndFormatsWithoutResizeAreOneLine() throws Exception {
        Path file = raw(1 << 20);
        assertTrue(Img.run("resize", "-f", "raw", file.toString(), "12parsecs").assertOneLineError(1).err()
                .contains("Invalid image size"));
        assertTrue(Img.run("resize", "--shrink", "-f", "raw", file.toString(), "-2M").assertOneLineError(1).err()
                .contains("must be positive"));
        Path img = dir.resolve("t.img");
        Img.run("create", "-q", "-f", "testimg", img.toString(), "1M").assertSuccess();
        Img.run("resize", "-f", "testimg", img.toString(), "3M").assertSuccess();
        assertEquals(512 + (3 << 20), Files.size(img));
        assertEquals(1 << 20, Files.size(file));
    }
}
