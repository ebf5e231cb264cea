package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jblock-img check -r all} reaches a VHD that open refuses as corrupt (through the driver's
 * {@code check} open option) and repairs it; the repaired image then opens as usual.
 */
class CheckVhdRepairTest {
    /** Where a new 4 MiB dynamic VHD keeps its BAT: after the footer copy and the dynamic header. */
    private static final long TABLE_AT = 1536;

    @TempDir
    Path dir;

    private static void poke(Path file, long at, int value) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).putInt(0, value), at);
        }
    }

    @Test
    void aBatEntryOutsideTheFileIsFoundThenDroppedByRepairAll() throws IOException {
        Path vhd = dir.resolve("broken.vhd");
        Img.run("create", "-q", "-f", "vpc", "-o", "force_size=on", vhd.toString(), "4M").assertSuccess();
        poke(vhd, TABLE_AT + 4, 0x7000_0000);

        Img.Result refused = Img.run("info", vhd.toString());
        assertEquals(1, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("free_data_block_offset points after the end of file"), refused.err());

        Img.Result found = Img.run("check", vhd.toString());
        assertEquals(CheckCommand.CORRUPTIONS, found.exitCode(), found.out() + found.err());
        assertTrue(found.out().contains("BAT entry 1 points outside the file"), found.out());

        Img.Result repaired = Img.run("check", "-r", "all", vhd.toString());
        assertEquals(CheckCommand.CLEAN, repaired.exitCode(), repaired.out() + repaired.err());
        assertTrue(repaired.out().contains("    1 corruptions\n"), repaired.out());

        Img.run("check", vhd.toString()).assertSuccess();
        Img.Result info = Img.run("info", vhd.toString()).assertSuccess();
        assertTrue(info.out().contains("virtual size: 4 MiB (4194304 bytes)"), info.out());
    }

    @Test
    void aDryRunPrintsThePlanAndWritesNothing() throws IOException {
        Path vhd = dir.resolve("broken.vhd");
        Img.run("create", "-q", "-f", "vpc", "-o", "force_size=on", vhd.toString(), "4M").assertSuccess();
        poke(vhd, TABLE_AT + 4, 0x7000_0000);
        byte[] before = java.nio.file.Files.readAllBytes(vhd);

        Img.Result planned = Img.run("check", "-r", "all", "--dry-run", vhd.toString());
        assertEquals(CheckCommand.CORRUPTIONS, planned.exitCode(), planned.out() + planned.err());
        assertTrue(planned.out().contains("Repair plan (dry run: nothing was written):\n"
                + "    would write: set BAT entry 1 to unallocated\n"), planned.out());
        assertTrue(java.util.Arrays.equals(before, java.nio.file.Files.readAllBytes(vhd)), "a dry run writes nothing");

        Img.Result refused = Img.run("check", "--dry-run", vhd.toString());
        assertEquals(1, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("--dry-run needs -r"), refused.err());

        Img.Result repaired = Img.run("check", "-r", "all", vhd.toString());
        assertEquals(CheckCommand.CLEAN, repaired.exitCode(), repaired.out() + repaired.err());
        assertTrue(repaired.out().contains("Repair plan:\n    wrote: set BAT entry 1 to unallocated\n"), repaired.out());
    }

    @Test
    void convertSalvageReadsADamagedImageAndNamesWhatIsLost() throws IOException {
        Path vhd = dir.resolve("broken.vhd");
        Img.run("create", "-q", "-f", "vpc", "-o", "force_size=on", vhd.toString(), "4M").assertSuccess();
        Path raw = dir.resolve("out.raw");
        Path data = dir.resolve("data.raw");
        byte[] pattern = new byte[4 << 20];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 7 + 1);
        }
        java.nio.file.Files.write(data, pattern);
        Img.run("convert", "-q", "-n", "-f", "raw", data.toString(), vhd.toString()).assertSuccess();
        poke(vhd, TABLE_AT + 4, 0x7000_0000);

        Img.Result refused = Img.run("convert", "-O", "raw", vhd.toString(), raw.toString());
        assertEquals(1, refused.exitCode(), refused.err());

        Img.Result salvaged = Img.run("convert", "--salvage", "-O", "raw", vhd.toString(), raw.toString());
        assertEquals(0, salvaged.exitCode(), salvaged.err());
        assertTrue(salvaged.err().contains("warning: " + vhd + ": bytes [2097152, 4194304) (block 1)"), salvaged.err());
        byte[] out = java.nio.file.Files.readAllBytes(raw);
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOf(pattern, 2 << 20), java.util.Arrays.copyOf(out, 2 << 20)),
                "block 0 is salvaged");
        assertTrue(java.util.Arrays.equals(new byte[2 << 20], java.util.Arrays.copyOfRange(out, 2 << 20, 4 << 20)),
                "block 1 reads as zeros");
    }
}
