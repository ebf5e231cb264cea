package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jblock.api.BlockImage;
import org.jblock.api.ImageLockedException;
import org.jblock.registry.OpenSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreateCommandTest {
    @TempDir
    Path dir;

    @Test
    void createsARawImageAndPrintsQemuImgsFormattingLine() throws Exception {
        Path file = dir.resolve("a.raw");
        Img.Result r = Img.run("create", "-f", "raw", file.toString(), "64M").assertSuccess();
        assertEquals("Formatting '" + file + "', fmt=raw size=67108864\n", r.out());
        assertEquals(64L << 20, Files.size(file));
    }

    @Test
    void printsOnlyQemuImgsLineWhenTheFormatRoundedTheSize() throws Exception {
        Path file = dir.resolve("t.vhd");
        Img.Result r = Img.run("create", "-f", "vpc", file.toString(), "64M").assertSuccess();
        assertEquals("Formatting '" + file + "', fmt=vpc size=67108864\n", r.out());
        Path exact = dir.resolve("exact.vhd");
        assertEquals("Formatting '" + exact + "', fmt=vpc size=67108864 force_size=on\n",
                Img.run("create", "-f", "vpc", "-o", "force_size=on", exact.toString(), "64M").assertSuccess().out());
    }

    @Test
    void tellsAPersonAtATerminalOnStderrThatTheSizeWasRounded() throws Exception {
        Path file = dir.resolve("t.vhd");
        Img.Result r = Img.runOnTerminal("create", "-f", "vpc", file.toString(), "64M");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("Formatting '" + file + "', fmt=vpc size=67108864\n", r.out());
        assertEquals("Note: the vpc format rounded the virtual size up to 67125248 bytes (64 MiB)\n", r.err());
    }

    @Test
    void printsTheOptionsGivenInTheDriversOrder() throws Exception {
        Path file = dir.resolve("t.img");
        Img.Result r = Img.run("create", "-f", "testimg", "-o", "leaks=2,corruptions=1", file.toString(), "1M")
                .assertSuccess();
        assertEquals("Formatting '" + file + "', fmt=testimg size=1048576 corruptions=1 leaks=2\n", r.out());
    }

    @Test
    void takesTheSizeFromMinusOAsQemuImgDoes() throws Exception {
        Path file = dir.resolve("o.img");
        Img.Result r = Img.run("create", "-f", "testimg", "-o", "size=2M,leaks=1", file.toString()).assertSuccess();
        assertEquals("Formatting '" + file + "', fmt=testimg size=2097152 leaks=1\n", r.out());
        assertEquals(512 + (2 << 20), Files.size(file));
        assertEquals(CheckCommand.LEAKS, Img.run("check", "-f", "testimg", file.toString()).exitCode(),
                "the other options reach the driver");
    }

    @Test
    void optionHelpListsEveryCreateOptionWithItsHelp() {
        Img.Result r = Img.run("create", "-f", "raw", "-o", "help").assertSuccess();
        assertTrue(r.out().startsWith("Supported raw options:\n"), r.out());
        assertTrue(r.out().contains("  preallocation=<off|full> - Preallocation mode"), r.out());
        assertTrue(r.out().contains("  size=<size>            - Virtual disk size"), r.out());
    }

    @Test
    void replacesAnExistingFile() throws Exception {
        Path file = dir.resolve("old.raw");
        Files.write(file, new byte[3 << 20]);
        Img.run("create", "-f", "raw", file.toString(), "1M").assertSuccess();
        assertEquals(1 << 20, Files.size(file));
    }

    @Test
    void refusesToReplaceAnImageInUse() throws Exception {
        Path file = dir.resolve("busy.raw");
        Files.write(file, new byte[4096]);
        try (BlockImage held = Img.registry().open(file, new OpenSpec("raw", false, false, ""))) {
            // A raw writer shares writing, but creating keeps everybody out: it would empty the file.
            Img.run("create", "-f", "raw", file.toString(), "1M")
                    .assertLockError("Failed to get shared \"write\" lock", file.toString());
            assertEquals(4096, Files.size(file), "the image in use is left as it was");
        }
    }

    @Test
    void badInputGetsOneLineAndAnExitCode() {
        String file = dir.resolve("x.raw").toString();
        assertTrue(Img.run("create", "-f", "raw", file).assertOneLineError(1).err().contains("needs a size"));
        assertTrue(Img.run("create", "-f", "raw", file, "1Q").assertOneLineError(1).err().contains("Invalid image size"));
        assertTrue(Img.run("create", "-f", "raw", file, "-5").assertOneLineError(1).err().contains("-5"));
        assertTrue(Img.run("create", "-f", "raw", file, "99999999E").assertOneLineError(1).err().contains("Invalid image size"));
        assertTrue(Img.run("create", "-f", "qcow9", file, "1M").assertOneLineError(1).err().contains("Unknown driver 'qcow9'"));
        assertTrue(Img.run("create", "-f", "raw", "-o", "bogus=1", file, "1M").assertOneLineError(1).err()
                .contains("Invalid parameter 'bogus'"));
        assertTrue(Img.run("create", "-f", "raw", dir.resolve("no/such/dir/x.raw").toString(), "1M")
                .assertOneLineError(1).err().contains("no/such/dir"));
        assertFalse(Files.exists(Path.of(file)), "nothing is created on bad input");
    }

    @Test
    void refusesWhatJblockImgDoesNotProvide() {
        for (String command : new String[] {"measure", "amend"}) {
            Img.Result r = Img.run(command, "-f", "raw", "x").assertOneLineError(1);
            assertTrue(r.err().contains("'" + command + "' is not provided"), r.err());
        }
        assertTrue(Img.run("frobnicate").assertOneLineError(1).err().contains("frobnicate"));
        assertEquals(1, Img.run().exitCode());
    }

    @Test
    void createdImageOpensInItsFormat() throws Exception {
        Path file = dir.resolve("c.img");
        Img.run("create", "-q", "-f", "testimg", file.toString(), "2M").assertSuccess();
        try (BlockImage image = Img.registry().open(file, new OpenSpec("testimg", true, false, ""))) {
            assertEquals(2 << 20, image.size());
        }
        assertThrows(java.io.IOException.class,
                () -> Img.registry().open(dir.resolve("absent"), OpenSpec.readOnlySpec()));
    }
}
